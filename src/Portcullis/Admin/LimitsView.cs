using System.Buffers;
using System.Text.Json;
using Portcullis.Budgets;
using Portcullis.Limits;

namespace Portcullis.Admin;

/// <summary>
/// Shows an owner's budgets as Portkey does, with the live state added: <c>current_usage</c> (dollars or tokens in the
/// current period), <c>last_reset_at</c>, <c>next_usage_reset_at</c> and <c>status</c> (active or exhausted).
/// </summary>
internal static class LimitsView
{
    /// <summary>One budget as an object, several as an array, none as null.</summary>
    public static JsonElement? UsageLimits(BudgetOwner owner, IReadOnlyList<UsageLimit> limits, IUsageLedger ledger)
    {
        if (limits.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (limits.Count > 1)
            {
                w.WriteStartArray();
            }

            foreach (UsageLimit limit in limits)
            {
                BudgetStatus status = ledger.Read(owner, limit);
                w.WriteStartObject();
                LimitsJson.WriteUsageLimitFields(w, limit);
                LimitsJson.WriteAmount(w, "current_usage", limit.Type, status.CurrentUsage);
                LimitsJson.WriteAmount(w, "total_usage", limit.Type, status.TotalUsage);

                WriteTime(w, "last_reset_at", status.LastResetAt);
                WriteTime(w, "next_usage_reset_at", status.NextResetAt);
                w.WriteString("status", status.Exhausted ? "exhausted" : "active");
                w.WriteEndObject();
            }

            if (limits.Count > 1)
            {
                w.WriteEndArray();
            }
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    public static JsonElement? RateLimits(IReadOnlyList<RateLimit> limits)
    {
        if (limits.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            LimitsJson.WriteRateLimits(w, "rate_limits", limits);
            w.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.GetProperty("rate_limits").Clone();
    }

    /// <summary>Whether a budget of the owner is used up: the owner's status then reads <c>exhausted</c>.</summary>
    public static bool AnyExhausted(BudgetOwner owner, IReadOnlyList<UsageLimit> limits, IUsageLedger ledger)
    {
        foreach (UsageLimit limit in limits)
        {
            if (ledger.Read(owner, limit).Exhausted)
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v.ToUniversalTime());
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
