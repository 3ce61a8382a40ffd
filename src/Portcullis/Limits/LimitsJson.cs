using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Portcullis.Pricing;

namespace Portcullis.Limits;

/// <summary>
/// Reads and writes <c>usage_limits</c> and <c>rate_limits</c> with Portkey's field names (admin API), and a compact
/// exact form for a TEXT column (storage). Reading validates every field and names the field in its error message.
/// </summary>
internal static class LimitsJson
{
    /// <summary>
    /// The largest cost budget, in dollars. Money is a <see cref="long"/> of picodollars (about 9.2 million dollars at
    /// most); this cap leaves room for the spend of in-flight requests on top of a full budget.
    /// </summary>
    public const decimal MaxCreditDollars = 1_000_000m;

    /// <summary>The largest token budget: a quadrillion tokens, far beyond any real budget yet safe to add to.</summary>
    public const long MaxCreditTokens = 1_000_000_000_000_000;

    /// <summary>The largest rate-limit value.</summary>
    public const long MaxRateValue = 1_000_000_000_000;

    /// <summary>At most this many rate limits on one key; there are only ten distinct (type, unit) pairs.</summary>
    public const int MaxRateLimits = 10;

    private static readonly string[] UsageFields =
        ["type", "credit_limit", "alert_threshold", "periodic_reset", "periodic_reset_days", "enforcement"];

    private static readonly string[] RateFields = ["type", "unit", "value"];

    // Fields a read shows (ours or Portkey's) that a client may send back unchanged: accepted and ignored.
    private static readonly HashSet<string> EchoedFields = new(StringComparer.Ordinal)
    {
        "id", "status", "current_usage", "total_usage", "next_usage_reset_at", "last_reset_at", "is_threshold_alerts_sent",
        "is_exhausted_alerts_sent", "metadata", "created_at", "updated_at", "last_updated_at",
    };

    /// <summary>
    /// Reads <c>usage_limits</c>: null (no budget), one object, or an array with at most one object per type.
    /// </summary>
    public static bool TryReadUsageLimits(JsonElement value, out IReadOnlyList<UsageLimit> limits, out string? error)
    {
        limits = [];
        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                error = null;
                return true;

            case JsonValueKind.Object:
                error = ReadUsageLimit(value, "usage_limits", out UsageLimit? single);
                if (single is not null)
                {
                    limits = [single];
                }

                return error is null;

            case JsonValueKind.Array:
                int count = value.GetArrayLength();
                if (count > 2)
                {
                    error = "usage_limits holds at most two limits: one of type cost and one of type tokens.";
                    return false;
                }

                var list = new List<UsageLimit>(count);
                for (int i = 0; i < count; i++)
                {
                    error = ReadUsageLimit(value[i], $"usage_limits[{i}]", out UsageLimit? limit);
                    if (error is not null)
                    {
                        return false;
                    }

                    if (list.Any(l => l.Type == limit!.Type))
                    {
                        error = $"usage_limits[{i}] repeats type {TypeName(limit!.Type)}: one limit per type.";
                        return false;
                    }

                    list.Add(limit!);
                }

                limits = list;
                error = null;
                return true;

            default:
                error = "usage_limits must be an object, an array of objects, or null.";
                return false;
        }
    }

    /// <summary>
    /// Reads <c>rate_limits</c>: null (none) or an array of <c>{type, unit, value}</c>, one per type and unit.
    /// </summary>
    public static bool TryReadRateLimits(JsonElement value, out IReadOnlyList<RateLimit> limits, out string? error)
    {
        limits = [];
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            error = null;
            return true;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            error = "rate_limits must be an array of {type, unit, value} objects, or null.";
            return false;
        }

        int count = value.GetArrayLength();
        if (count > MaxRateLimits)
        {
            error = $"rate_limits holds at most {MaxRateLimits} limits.";
            return false;
        }

        var list = new List<RateLimit>(count);
        for (int i = 0; i < count; i++)
        {
            error = ReadRateLimit(value[i], $"rate_limits[{i}]", out RateLimit? limit);
            if (error is not null)
            {
                return false;
            }

            if (list.Any(l => l.Type == limit!.Type && l.Unit == limit.Unit))
            {
                error = $"rate_limits[{i}] repeats the {TypeName(limit!.Type)} {UnitName(limit.Unit)} limit.";
                return false;
            }

            list.Add(limit!);
        }

        limits = list;
        error = null;
        return true;
    }

    /// <summary>
    /// Writes the configuration fields of one budget into an object the caller opened, so the caller can add
    /// <c>current_usage</c>, <c>next_usage_reset_at</c> and the like. Cost amounts are written in dollars.
    /// </summary>
    public static void WriteUsageLimitFields(Utf8JsonWriter w, UsageLimit limit)
    {
        w.WriteString("type", TypeName(limit.Type));
        WriteAmount(w, "credit_limit", limit.Type, limit.CreditLimit);
        if (limit.AlertThreshold is long alert)
        {
            WriteAmount(w, "alert_threshold", limit.Type, alert);
        }
        else
        {
            w.WriteNull("alert_threshold");
        }

        switch (limit.Reset)
        {
            case ResetPeriod.Weekly or ResetPeriod.Monthly:
                w.WriteString("periodic_reset", limit.Reset == ResetPeriod.Weekly ? "weekly" : "monthly");
                w.WriteNull("periodic_reset_days");
                break;
            case ResetPeriod.Days:
                w.WriteNull("periodic_reset");
                w.WriteNumber("periodic_reset_days", limit.ResetDays ?? 0);
                break;
            default:
                w.WriteNull("periodic_reset");
                w.WriteNull("periodic_reset_days");
                break;
        }

        w.WriteString("enforcement", limit.Soft ? "soft" : "hard");
    }

    /// <summary>Writes <c>"propertyName": [{type, unit, value}, ...]</c>.</summary>
    public static void WriteRateLimits(Utf8JsonWriter w, string propertyName, IReadOnlyList<RateLimit> limits)
    {
        w.WriteStartArray(propertyName);
        foreach (RateLimit limit in limits)
        {
            WriteRateLimit(w, limit);
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Writes an amount in a budget's API unit: picodollars as dollars without trailing zeros, tokens as they are. For
    /// <c>current_usage</c> and the like, next to <see cref="WriteUsageLimitFields"/>.
    /// </summary>
    public static void WriteAmount(Utf8JsonWriter w, string name, UsageLimitType type, long amount)
    {
        if (type == UsageLimitType.Tokens)
        {
            w.WriteNumber(name, amount);
            return;
        }

        // Without trailing zeros: 25 dollars is written 25, not 25.000000000000.
        string dollars = Money.ToDollars(amount).ToString("0.############", CultureInfo.InvariantCulture);
        w.WriteNumber(name, decimal.Parse(dollars, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The storage form of budgets: exact integers (picodollars or tokens) under short names of its own, so it never
    /// passes for the admin API's dollar form and stores any amount a <see cref="UsageLimit"/> can hold.
    /// </summary>
    public static string SerializeUsageLimits(IReadOnlyList<UsageLimit> limits) => Write(w =>
    {
        w.WriteStartArray();
        foreach (UsageLimit limit in limits)
        {
            w.WriteStartObject();
            w.WriteString("type", TypeName(limit.Type));
            w.WriteNumber("limit", limit.CreditLimit);
            if (limit.AlertThreshold is long alert)
            {
                w.WriteNumber("alert", alert);
            }

            w.WriteString("reset", limit.Reset.ToString().ToLowerInvariant());
            if (limit.ResetDays is int days)
            {
                w.WriteNumber("reset_days", days);
            }

            w.WriteBoolean("soft", limit.Soft);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <summary>Reads what <see cref="SerializeUsageLimits"/> wrote; empty text or <c>null</c> means no budget.</summary>
    /// <exception cref="InvalidDataException">The stored text is not a list of budgets.</exception>
    public static IReadOnlyList<UsageLimit> DeserializeUsageLimits(string json) => ReadStored(json, item =>
    {
        string type = item.GetProperty("type").GetString()!;
        long? alert = item.TryGetProperty("alert", out JsonElement a) ? a.GetInt64() : null;
        int? days = item.TryGetProperty("reset_days", out JsonElement d) ? d.GetInt32() : null;
        return new UsageLimit(
            type == "tokens" ? UsageLimitType.Tokens : type == "cost" ? UsageLimitType.Cost : throw Corrupt(),
            item.GetProperty("limit").GetInt64(),
            alert,
            Enum.Parse<ResetPeriod>(item.GetProperty("reset").GetString()!, ignoreCase: true),
            days,
            item.GetProperty("soft").GetBoolean());
    });

    /// <summary>The storage form of rate limits: the admin API's own <c>[{type, unit, value}]</c>.</summary>
    public static string SerializeRateLimits(IReadOnlyList<RateLimit> limits) => Write(w =>
    {
        w.WriteStartArray();
        foreach (RateLimit limit in limits)
        {
            WriteRateLimit(w, limit);
        }

        w.WriteEndArray();
    });

    /// <summary>Reads what <see cref="SerializeRateLimits"/> wrote; empty text or <c>null</c> means no rate limit.</summary>
    /// <exception cref="InvalidDataException">The stored text is not a list of rate limits.</exception>
    public static IReadOnlyList<RateLimit> DeserializeRateLimits(string json) => ReadStored(json, item =>
        ReadRateLimit(item, "rate_limits", out RateLimit? limit) is null ? limit! : throw Corrupt());

    private static string? ReadUsageLimit(JsonElement item, string path, out UsageLimit? limit)
    {
        limit = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            return $"{path} must be an object with at least credit_limit.";
        }

        if (UnknownField(item, path, UsageFields) is string unknown)
        {
            return unknown;
        }

        // 1. The type first: it decides the unit of every amount.
        string? error = ReadChoice(item, path, "type", ["cost", "tokens"], out string? typeText);
        if (error is not null)
        {
            return error;
        }

        UsageLimitType type = typeText == "tokens" ? UsageLimitType.Tokens : UsageLimitType.Cost;

        // 2. The amounts: credit_limit required, alert_threshold optional and below it.
        if (!item.TryGetProperty("credit_limit", out JsonElement creditValue) || creditValue.ValueKind == JsonValueKind.Null)
        {
            return $"{path}.credit_limit is required: {AmountUnit(type)} greater than 0.";
        }

        error = ReadAmount(creditValue, type, $"{path}.credit_limit", out long credit);
        if (error is not null)
        {
            return error;
        }

        long? alert = null;
        if (item.TryGetProperty("alert_threshold", out JsonElement alertValue) && alertValue.ValueKind != JsonValueKind.Null)
        {
            error = ReadAmount(alertValue, type, $"{path}.alert_threshold", out long threshold);
            if (error is not null)
            {
                return error;
            }

            if (threshold >= credit)
            {
                return $"{path}.alert_threshold must be below credit_limit.";
            }

            alert = threshold;
        }

        // 3. The reset period: a calendar period or a number of days, not both.
        error = ReadChoice(item, path, "periodic_reset", ["weekly", "monthly"], out string? periodText);
        if (error is not null)
        {
            return error;
        }

        int? days = null;
        if (item.TryGetProperty("periodic_reset_days", out JsonElement daysValue) && daysValue.ValueKind != JsonValueKind.Null)
        {
            error = ReadWhole(daysValue, $"{path}.periodic_reset_days", 1, 365, out long n);
            if (error is not null)
            {
                return error;
            }

            if (periodText is not null)
            {
                return $"{path}: periodic_reset and periodic_reset_days cannot both be set.";
            }

            days = (int)n;
        }

        ResetPeriod reset = periodText switch
        {
            "weekly" => ResetPeriod.Weekly,
            "monthly" => ResetPeriod.Monthly,
            _ => days is null ? ResetPeriod.None : ResetPeriod.Days,
        };

        // 4. Our extension: hard (the default) or soft enforcement.
        error = ReadChoice(item, path, "enforcement", ["hard", "soft"], out string? enforcement);
        if (error is not null)
        {
            return error;
        }

        limit = new UsageLimit(type, credit, alert, reset, days, Soft: enforcement == "soft");
        return null;
    }

    private static string? ReadRateLimit(JsonElement item, string path, out RateLimit? limit)
    {
        limit = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            return $"{path} must be an object with type, unit and value.";
        }

        if (UnknownField(item, path, RateFields) is string unknown)
        {
            return unknown;
        }

        string? unitText = null;
        string? error = ReadChoice(item, path, "type", ["requests", "tokens"], out string? typeText)
            ?? ReadChoice(item, path, "unit", ["rps", "rpm", "rph", "rpd", "rpw"], out unitText);
        if (error is not null)
        {
            return error;
        }

        if (typeText is null || unitText is null)
        {
            return $"{path}.{(typeText is null ? "type" : "unit")} is required.";
        }

        if (!item.TryGetProperty("value", out JsonElement valueElement) || valueElement.ValueKind == JsonValueKind.Null)
        {
            return $"{path}.value is required: a whole number of at least 1.";
        }

        error = ReadWhole(valueElement, $"{path}.value", 1, MaxRateValue, out long value);
        if (error is not null)
        {
            return error;
        }

        limit = new RateLimit(
            typeText == "tokens" ? RateLimitType.Tokens : RateLimitType.Requests,
            Enum.Parse<RateLimitUnit>(unitText, ignoreCase: true),
            value);
        return null;
    }

    private static string? UnknownField(JsonElement item, string path, string[] known)
    {
        foreach (JsonProperty property in item.EnumerateObject())
        {
            if (!known.Contains(property.Name) && !EchoedFields.Contains(property.Name))
            {
                return $"{path}.{property.Name} is not a known field (known: {string.Join(", ", known)}).";
            }
        }

        return null;
    }

    // An optional string field with a fixed set of values, compared without regard to case; null when absent or null.
    private static string? ReadChoice(JsonElement item, string path, string name, string[] choices, out string? choice)
    {
        choice = null;
        if (!item.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        choice = choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
        return choice is null ? $"{path}.{name} must be one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}." : null;
    }

    // A budget amount: dollars with at most six decimals for cost (returned as picodollars), whole tokens for tokens.
    private static string? ReadAmount(JsonElement value, UsageLimitType type, string field, out long amount)
    {
        amount = 0;
        if (type == UsageLimitType.Tokens)
        {
            return ReadWhole(value, field, 1, MaxCreditTokens, out amount);
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return $"{field} must be a number of dollars, such as 25 or 12.5.";
        }

        if (!value.TryGetDecimal(out decimal dollars) || dollars > MaxCreditDollars)
        {
            return $"{field} must be at most {MaxCreditDollars} dollars.";
        }

        if (dollars <= 0)
        {
            return $"{field} must be greater than 0 dollars.";
        }

        if (decimal.Round(dollars, 6) != dollars)
        {
            return $"{field} has more than 6 decimals; budgets count dollars to the millionth.";
        }

        amount = Money.FromDollars(dollars);
        return null;
    }

    private static string? ReadWhole(JsonElement value, string field, long min, long max, out long whole)
    {
        whole = 0;
        if (value.ValueKind != JsonValueKind.Number)
        {
            return $"{field} must be a whole number from {min} to {max}.";
        }

        if (!value.TryGetDecimal(out decimal number) || number > max)
        {
            return $"{field} must be at most {max}.";
        }

        if (decimal.Truncate(number) != number)
        {
            return $"{field} must be a whole number.";
        }

        if (number < min)
        {
            return $"{field} must be at least {min}.";
        }

        whole = (long)number;
        return null;
    }

    private static void WriteRateLimit(Utf8JsonWriter w, RateLimit limit)
    {
        w.WriteStartObject();
        w.WriteString("type", TypeName(limit.Type));
        w.WriteString("unit", UnitName(limit.Unit));
        w.WriteNumber("value", limit.Value);
        w.WriteEndObject();
    }

    private static string TypeName(UsageLimitType type) => type == UsageLimitType.Tokens ? "tokens" : "cost";

    private static string TypeName(RateLimitType type) => type == RateLimitType.Tokens ? "tokens" : "requests";

    private static string UnitName(RateLimitUnit unit) => unit.ToString().ToLowerInvariant();

    private static string AmountUnit(UsageLimitType type) => type == UsageLimitType.Tokens ? "tokens" : "dollars";

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static IReadOnlyList<T> ReadStored<T>(string json, Func<JsonElement, T> read)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Null => [],
                JsonValueKind.Array => document.RootElement.EnumerateArray().Select(read).ToArray(),
                _ => throw Corrupt(),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException
            or FormatException or ArgumentException)
        {
            throw new InvalidDataException("Stored limits are not valid.", e);
        }
    }

    private static InvalidDataException Corrupt() => new("Stored limits are not valid.");
}
