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
    /// <summary>The live state of each of an owner's budgets, in the order of <paramref name="limits"/>.</summary>
    public static async Task<BudgetStatus[]> StatusesAsync(
        BudgetOwner owner, IReadOnlyList<UsageLimit> limits, IUsageLedger ledger, CancellationToken cancellationToken)
    {
        var statuses = new BudgetStatus[limits.Count];
        for (int i = 0; i < limits.Count; i++)
        {
            statuses[i] = await ledger.ReadAsync(owner, limits[i], cancellationToken);
        }

        return statuses;
    }

    /// <summary>One budget as an object, several as an array, none as null.</summary>
    public static JsonElement? UsageLimits(IReadOnlyList<UsageLimit> limits, BudgetStatus[] statuses)
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

            for (int i = 0; i < limits.Count; i++)
            {
                UsageLimit limit = limits[i];
                BudgetStatus status = statuses[i];
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
    public static bool AnyExhausted(BudgetStatus[] statuses) => statuses.Any(s => s.Exhausted);

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

    /// <summary>The live state of a virtual key's (or provider's) budgets.</summary>
    public static Task<BudgetStatus[]> StatusesOfAsync(
        Storage.VirtualKeyRecord record, IUsageLedger ledger, CancellationToken cancellationToken) =>
        StatusesAsync(BudgetOwner.ForVirtualKey(record.Id, record.Slug), record.UsageLimits, ledger, cancellationToken);

    /// <summary>The live state of a gateway API key's budgets.</summary>
    public static Task<BudgetStatus[]> StatusesOfAsync(
        Storage.ApiKeyRecord record, IUsageLedger ledger, CancellationToken cancellationToken) =>
        StatusesAsync(BudgetOwner.ForApiKey(record.Id), record.UsageLimits, ledger, cancellationToken);
}
