using System.Text.Json;
using Portcullis.Limits;

namespace Portcullis.Admin;

/// <summary>Reads <c>usage_limits</c>, <c>rate_limits</c> and <c>reset_usage</c> from an admin body.</summary>
internal static class LimitsInput
{
    /// <summary>The budgets given, an empty list for null (remove them), or null when the field is absent.</summary>
    public static IReadOnlyList<UsageLimit>? UsageLimits(JsonElement body)
    {
        if (!body.TryGetProperty("usage_limits", out JsonElement value))
        {
            return null;
        }

        return LimitsJson.TryReadUsageLimits(value, out IReadOnlyList<UsageLimit> limits, out string? error)
            ? limits
            : throw AdminProblem.Validation(error!);
    }

    public static IReadOnlyList<RateLimit>? RateLimits(JsonElement body)
    {
        if (!body.TryGetProperty("rate_limits", out JsonElement value))
        {
            return null;
        }

        return LimitsJson.TryReadRateLimits(value, out IReadOnlyList<RateLimit> limits, out string? error)
            ? limits
            : throw AdminProblem.Validation(error!);
    }

    public static bool ResetUsage(JsonElement body)
    {
        if (!body.TryGetProperty("reset_usage", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw AdminProblem.Validation("reset_usage must be true or false."),
        };
    }
}
