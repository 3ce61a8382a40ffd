using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Portcullis.Cli;

/// <summary>
/// The budget and rate-limit options that <c>virtual-keys</c> and <c>api-keys</c> share, turned into the admin API's
/// <c>usage_limits</c>, <c>rate_limits</c> and <c>reset_usage</c>. The CLI checks only what is typed (a wrong shape or
/// a contradiction exits 2 before anything is sent); the gateway validates the values, so its message is the one shown.
/// </summary>
/// <remarks>
/// On update the flags change the key's current limits rather than replace them: the CLI reads the key first, then
/// <c>--budget</c> sets the cost budget's limit and <c>--budget-tokens</c> the token budget's (adding the budget if the
/// key has none of that type), and <c>--alert-threshold</c>, <c>--reset</c>, <c>--soft</c> and <c>--hard</c> change
/// the budget the command names, or every budget of the key when it names none. <c>--rate-limit</c> replaces the limit
/// of the same type and unit and keeps the others. <c>--no-budgets</c> and <c>--no-rate-limits</c> start from none, so
/// together with the flags they replace everything. <c>--usage-limits</c> and <c>--rate-limits</c> send JSON as it is.
/// </remarks>
internal sealed partial class LimitOptions
{
    // The fields of a budget as the gateway reads them back that configure it; the rest is live state.
    private static readonly string[] BudgetFields =
        ["type", "credit_limit", "alert_threshold", "periodic_reset", "periodic_reset_days", "enforcement"];

    private readonly bool _update;

    private readonly Option<decimal?> _budget = new("--budget")
    {
        Description = "A cost budget in US dollars, for example 25 (hard unless --soft).",
        HelpName = "DOLLARS",
        CustomParser = NumberParsers.Decimal,
    };

    private readonly Option<long?> _budgetTokens = new("--budget-tokens")
    {
        Description = "A budget in tokens (prompt and completion together).",
        HelpName = "TOKENS",
        CustomParser = NumberParsers.Long,
    };

    private readonly Option<string?> _alertThreshold = new("--alert-threshold")
    {
        Description = "Record an alert when usage reaches this amount, in the budget's unit (dollars or tokens); none removes it.",
        HelpName = "AMOUNT|none",
    };

    private readonly Option<string?> _reset = new("--reset")
    {
        Description = "When the budget's usage starts again from zero: weekly, monthly, every N days (30d), or none.",
        HelpName = "weekly|monthly|Nd|none",
    };

    private readonly Option<bool> _soft = new("--soft")
    {
        Description = "Soft budget: the request that crosses the limit succeeds, the next one is refused.",
    };

    private readonly Option<bool> _hard = new("--hard")
    {
        Description = "Hard budget (the default): a request that could cross the limit is refused.",
    };

    private readonly Option<string[]> _rateLimit = new("--rate-limit")
    {
        Description = "A rate limit VALUE[tokens]/UNIT, UNIT rps|rpm|rph|rpd|rpw, e.g. 60/rpm or 100000tokens/rpm (repeatable).",
        HelpName = "N[tokens]/UNIT",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _usageLimits = new("--usage-limits")
    {
        Description = "The usage_limits JSON as the admin API takes it (an object, an array, or null); replaces every budget.",
        HelpName = "JSON",
    };

    private readonly Option<string?> _rateLimits = new("--rate-limits")
    {
        Description = "The rate_limits JSON as the admin API takes it (an array or null); replaces every rate limit.",
        HelpName = "JSON",
    };

    private readonly Option<bool> _noBudgets = new("--no-budgets")
    {
        Description = "Remove the key's budgets (before --budget and --budget-tokens apply, if given).",
    };

    private readonly Option<bool> _noRateLimits = new("--no-rate-limits")
    {
        Description = "Remove the key's rate limits (before --rate-limit applies, if given).",
    };

    private readonly Option<bool> _resetUsage = new("--reset-usage")
    {
        Description = "Start the current period of every budget again from zero usage.",
    };

    /// <param name="update">
    /// True for an update command: adds <c>--no-budgets</c>, <c>--no-rate-limits</c> and <c>--reset-usage</c>, and
    /// makes the flags change the key's current limits.
    /// </param>
    public LimitOptions(bool update)
    {
        _update = update;
        _reset.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !ResetPattern().IsMatch(text))
            {
                result.AddError($"--reset wants weekly, monthly, a number of days such as 30d, or none; got '{text}'.");
            }
        });
        _alertThreshold.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !IsNone(text) && ParseNumber(text) is null)
            {
                result.AddError($"--alert-threshold wants an amount such as 20, or none; got '{text}'.");
            }
        });
        foreach (Option<string?> raw in (Option<string?>[])[_usageLimits, _rateLimits])
        {
            raw.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<string?>() is { } text && JsonError(text) is { } error)
                {
                    result.AddError($"{raw.Name} is not valid JSON: {error}");
                }
            });
        }

        _rateLimit.Validators.Add(result =>
        {
            foreach (string text in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ParseRateLimit(text) is null)
                {
                    result.AddError($"--rate-limit wants VALUE[tokens]/UNIT such as 60/rpm or 100000tokens/rpm; got '{text}'.");
                }
            }
        });
    }

    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[_budget, _budgetTokens, _alertThreshold, _reset, _soft, _hard, _rateLimit,
            _usageLimits, _rateLimits])
        {
            command.Options.Add(option);
        }

        if (_update)
        {
            command.Options.Add(_noBudgets);
            command.Options.Add(_noRateLimits);
            command.Options.Add(_resetUsage);
        }

        command.Validators.Add(Validate);
    }

    /// <summary>
    /// Adds the limit fields the options ask for to <paramref name="body"/>. On update it first reads the key at
    /// <paramref name="path"/> when the flags change its current limits. Returns <see cref="AdminClient.ExitOk"/>, or
    /// the exit code of a problem it has already reported.
    /// </summary>
    public async Task<int> AddToBodyAsync(
        ParseResult r, JsonObject body, AdminClient client, string path, bool json, CancellationToken cancellationToken)
    {
        // 1. The key as it is, when flags change its budgets or rate limits instead of replacing them.
        JsonNode? current = null;
        if (_update && (ChangesCurrentBudgets(r.CommandResult) || ChangesCurrentRateLimits(r.CommandResult)))
        {
            (int exitCode, current) = await client.ReadAsync(path, json, cancellationToken);
            if (exitCode != AdminClient.ExitOk)
            {
                return exitCode;
            }
        }

        // 2. The fields, each only when an option touches it, so an update leaves the others as they are.
        if (AddBudgets(r, body, current) is { } problem)
        {
            Console.Error.WriteLine($"portcullis: {problem}");
            return AdminClient.ExitUsage;
        }

        AddRateLimits(r, body, current);
        if (_update && r.GetValue(_resetUsage))
        {
            body["reset_usage"] = true;
        }

        return AdminClient.ExitOk;
    }

    private void Validate(CommandResult result)
    {
        bool budgetNamed = NamesBudget(result);
        bool modifiers = ChangesBudgetSettings(result);
        bool noBudgets = _update && result.GetValue(_noBudgets);

        if (result.GetValue(_soft) && result.GetValue(_hard))
        {
            result.AddError("--soft and --hard cannot both be given.");
        }

        if (result.GetResult(_usageLimits) is not null && (budgetNamed || modifiers || noBudgets))
        {
            result.AddError("--usage-limits replaces every budget: give it without --budget, --budget-tokens, " +
                "--alert-threshold, --reset, --soft, --hard and --no-budgets.");
        }

        if (result.GetResult(_rateLimits) is not null &&
            ((result.GetValue(_rateLimit) ?? []).Length > 0 || (_update && result.GetValue(_noRateLimits))))
        {
            result.AddError("--rate-limits replaces every rate limit: give it without --rate-limit and --no-rate-limits.");
        }

        if (result.GetResult(_alertThreshold) is not null && result.GetResult(_budget) is not null &&
            result.GetResult(_budgetTokens) is not null)
        {
            result.AddError("--alert-threshold is in the budget's unit (dollars or tokens): give it with only one of " +
                "--budget and --budget-tokens, or use --usage-limits.");
        }

        if (modifiers && !budgetNamed && (!_update || noBudgets))
        {
            result.AddError("--alert-threshold, --reset, --soft and --hard apply to a budget: give --budget or --budget-tokens.");
        }
    }

    private bool NamesBudget(SymbolResult s) => s.GetResult(_budget) is not null || s.GetResult(_budgetTokens) is not null;

    private bool ChangesBudgetSettings(SymbolResult s) =>
        s.GetResult(_alertThreshold) is not null || s.GetResult(_reset) is not null || s.GetValue(_soft) || s.GetValue(_hard);

    // Update only: whether the flags change the key's budgets (so the CLI needs them) rather than replace or remove them.
    private bool ChangesCurrentBudgets(SymbolResult s) =>
        s.GetResult(_usageLimits) is null && !s.GetValue(_noBudgets) && (NamesBudget(s) || ChangesBudgetSettings(s));

    private bool ChangesCurrentRateLimits(SymbolResult s) =>
        (s.GetValue(_rateLimit) ?? []).Length > 0 && !s.GetValue(_noRateLimits);

    // Sets usage_limits from the flags and the key's current budgets; a message when the flags cannot apply to them.
    private string? AddBudgets(ParseResult r, JsonObject body, JsonNode? current)
    {
        if (r.GetResult(_usageLimits) is not null)
        {
            body["usage_limits"] = JsonNode.Parse(r.GetValue(_usageLimits)!);
            return null;
        }

        bool noBudgets = _update && r.GetValue(_noBudgets);
        var named = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (r.GetValue(_budget) is decimal dollars)
        {
            named["cost"] = JsonValue.Create(dollars);
        }

        if (r.GetValue(_budgetTokens) is long tokens)
        {
            named["tokens"] = JsonValue.Create(tokens);
        }

        bool alertGiven = r.GetValue(_alertThreshold) is not null;
        string? reset = r.GetValue(_reset);
        string? enforcement = r.GetValue(_soft) ? "soft" : r.GetValue(_hard) ? "hard" : null;
        if (named.Count == 0 && !alertGiven && reset is null && enforcement is null && !noBudgets)
        {
            return null;
        }

        // 1. Start from the key's budgets (none on create or with --no-budgets), then set the limits named.
        List<JsonObject> budgets = noBudgets ? [] : ConfigOf(current?["usage_limits"], BudgetFields);
        foreach ((string type, JsonNode limit) in named)
        {
            JsonObject? budget = budgets.Find(b => TextOf(b["type"]) == type);
            if (budget is null)
            {
                budget = new JsonObject { ["type"] = type };
                budgets.Add(budget);
            }

            budget["credit_limit"] = limit.DeepClone();
        }

        // 2. The other settings go to the budgets named, or to every budget when none is named.
        if (alertGiven || reset is not null || enforcement is not null)
        {
            List<JsonObject> targets = named.Count == 0 ? budgets : budgets.FindAll(b => named.ContainsKey(TextOf(b["type"])));
            if (targets.Count == 0)
            {
                return "the key has no budget for --alert-threshold, --reset, --soft or --hard: give --budget or --budget-tokens.";
            }

            if (alertGiven && targets.Count > 1)
            {
                return "the key has a cost and a token budget and --alert-threshold is in the budget's unit: name one " +
                    "with --budget or --budget-tokens, or use --usage-limits.";
            }

            foreach (JsonObject budget in targets)
            {
                Configure(budget, r.GetValue(_alertThreshold), reset, enforcement);
            }
        }

        body["usage_limits"] = budgets.Count == 0 ? null : new JsonArray([.. budgets]);
        return null;
    }

    private static void Configure(JsonObject budget, string? alert, string? reset, string? enforcement)
    {
        if (alert is not null)
        {
            budget["alert_threshold"] = IsNone(alert) ? null : ParseNumber(alert);
        }

        if (reset is not null)
        {
            Match match = ResetPattern().Match(reset);
            bool days = match.Groups["days"].Success;
            budget["periodic_reset"] = days || IsNone(reset) ? null : reset.ToLowerInvariant();
            budget["periodic_reset_days"] = days ? ParseNumber(match.Groups["days"].Value) : null;
        }

        if (enforcement is not null)
        {
            budget["enforcement"] = enforcement;
        }
    }

    // Sets rate_limits: the key's current limits with those of the same type and unit replaced by the flags'.
    private void AddRateLimits(ParseResult r, JsonObject body, JsonNode? current)
    {
        if (r.GetResult(_rateLimits) is not null)
        {
            body["rate_limits"] = JsonNode.Parse(r.GetValue(_rateLimits)!);
            return;
        }

        JsonObject[] given = [.. (r.GetValue(_rateLimit) ?? []).Select(t => ParseRateLimit(t)!)];
        bool noRateLimits = _update && r.GetValue(_noRateLimits);
        if (given.Length == 0 && !noRateLimits)
        {
            return;
        }

        List<JsonObject> limits = noRateLimits ? [] : ConfigOf(current?["rate_limits"], ["type", "unit", "value"]);
        limits.RemoveAll(l => given.Any(g => SameWindow(g, l)));
        limits.AddRange(given);
        body["rate_limits"] = limits.Count == 0 ? null : new JsonArray([.. limits]);
    }

    private static bool SameWindow(JsonObject a, JsonObject b) =>
        string.Equals(TextOf(a["type"]), TextOf(b["type"]), StringComparison.OrdinalIgnoreCase) &&
        string.Equals(TextOf(a["unit"]), TextOf(b["unit"]), StringComparison.OrdinalIgnoreCase);

    // Copies of the objects of a field as the gateway shows it (one object, an array, or null), with only the fields given.
    private static List<JsonObject> ConfigOf(JsonNode? shown, string[] fields)
    {
        JsonNode?[] items = shown switch
        {
            JsonArray array => [.. array],
            JsonObject single => [single],
            _ => [],
        };

        var copies = new List<JsonObject>();
        foreach (JsonObject item in items.OfType<JsonObject>())
        {
            var copy = new JsonObject();
            foreach (string field in fields)
            {
                if (item.TryGetPropertyValue(field, out JsonNode? value))
                {
                    copy[field] = value?.DeepClone();
                }
            }

            copies.Add(copy);
        }

        return copies;
    }

    // 60/rpm -> {type: requests, unit: rpm, value: 60}; the words are passed on for the gateway to judge.
    private static JsonObject? ParseRateLimit(string text)
    {
        Match match = RateLimitPattern().Match(text.Trim());
        if (!match.Success || ParseNumber(match.Groups["value"].Value) is not { } value)
        {
            return null;
        }

        string type = match.Groups["type"].Value.ToLowerInvariant() switch
        {
            "" or "request" or "requests" => "requests",
            "token" or "tokens" => "tokens",
            var other => other,
        };
        return new JsonObject { ["type"] = type, ["unit"] = match.Groups["unit"].Value.ToLowerInvariant(), ["value"] = value };
    }

    private static string? JsonError(string text)
    {
        try
        {
            _ = JsonNode.Parse(text);
            return null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    private static JsonNode? ParseNumber(string text) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number)
            ? JsonValue.Create(number)
            : null;

    private static bool IsNone(string text) => string.Equals(text, "none", StringComparison.OrdinalIgnoreCase);

    private static string TextOf(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : "";

    [GeneratedRegex(@"^(?:weekly|monthly|none|(?<days>[0-9]{1,9})d)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ResetPattern();

    [GeneratedRegex(
        @"^(?<value>[0-9]+(?:\.[0-9]+)?)\s*(?<type>[A-Za-z]*)\s*/\s*(?<unit>[A-Za-z]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex RateLimitPattern();
}
