using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// Budgets and rate limits as a person reads them: one line per budget with its usage, limit, status, enforcement,
/// alert and next reset, one line per rate limit, and a compact usage column for lists. Amounts are printed as the
/// gateway wrote them (dollars for cost budgets, tokens for token budgets), never rounded.
/// </summary>
internal static class LimitsText
{
    // Values as JSON, with a time's '+' as it is rather than \u002B; control characters stay escaped.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A virtual key or API key as <c>field: value</c> lines, with <c>usage_limits</c> and <c>rate_limits</c> spelled
    /// out on indented lines below their field (or <c>none</c>).
    /// </summary>
    public static string DescribeKey(JsonNode key)
    {
        if (key is not JsonObject fields)
        {
            return key.ToJsonString();
        }

        var lines = new List<string>();
        foreach ((string name, JsonNode? value) in fields)
        {
            IReadOnlyList<string> details = name switch
            {
                "usage_limits" => [.. ItemsOf(value).Select(Budget)],
                "rate_limits" => [.. ItemsOf(value).Select(RateLimit)],
                _ => [],
            };

            if (name is "usage_limits" or "rate_limits")
            {
                lines.Add(details.Count == 0 ? $"{name}: none" : $"{name}:");
                lines.AddRange(details.Select(d => "  " + d));
            }
            else
            {
                lines.Add($"{name}: {value?.ToJsonString(Readable)}");
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Each budget as <c>used/limit unit</c> (<c>3.2/25 USD</c>, <c>1500/100000 tokens</c>), or <c>-</c>.</summary>
    public static string BudgetColumn(JsonNode? key)
    {
        string[] budgets =
            [.. ItemsOf(key?["usage_limits"]).Select(b => $"{b["current_usage"]}/{b["credit_limit"]} {UnitOf(b)}")];
        return budgets.Length == 0 ? "-" : string.Join(", ", budgets);
    }

    // cost: 3.2 of 25 USD used (12.8%), active, hard; alert at 20 USD; resets monthly, next 2025-08-01T00:00:00Z; ...
    private static string Budget(JsonObject budget)
    {
        string unit = UnitOf(budget);
        string line = $"{budget["type"]}: {budget["current_usage"]} of {budget["credit_limit"]} {unit} used" +
            Percent(budget["current_usage"], budget["credit_limit"]) +
            $", {budget["status"] ?? "active"}, {budget["enforcement"] ?? "hard"}";

        line += budget["alert_threshold"] is { } alert ? $"; alert at {alert} {unit}" : "; no alert";
        line += budget["periodic_reset"] is { } period ? $"; resets {period}"
            : budget["periodic_reset_days"] is { } days ? $"; resets every {days} days"
            : "; never resets";
        if (budget["next_usage_reset_at"] is { } next)
        {
            line += $", next reset {next}";
        }

        if (budget["total_usage"] is { } total)
        {
            line += $"; {total} {unit} used in all";
        }

        return line;
    }

    // 60 requests per minute (rpm)
    private static string RateLimit(JsonObject limit)
    {
        string unit = limit["unit"]?.ToString() ?? "";
        string per = unit switch
        {
            "rps" => "second",
            "rpm" => "minute",
            "rph" => "hour",
            "rpd" => "day",
            "rpw" => "week",
            _ => unit,
        };
        return $"{limit["value"]} {limit["type"]} per {per} ({unit})";
    }

    private static string Percent(JsonNode? used, JsonNode? limit)
    {
        if (used is not JsonValue u || limit is not JsonValue l ||
            !u.TryGetValue(out decimal usedAmount) || !l.TryGetValue(out decimal limitAmount) || limitAmount <= 0)
        {
            return "";
        }

        decimal percent = decimal.Round(usedAmount * 100 / limitAmount, 1);
        return $" ({percent.ToString("0.#", CultureInfo.InvariantCulture)}%)";
    }

    private static string UnitOf(JsonNode budget) => budget["type"]?.ToString() == "tokens" ? "tokens" : "USD";

    // The gateway shows one budget as an object and several as an array.
    private static IEnumerable<JsonObject> ItemsOf(JsonNode? value) => value switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject single => [single],
        _ => [],
    };
}
