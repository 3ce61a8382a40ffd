namespace Portcullis.Pricing;

/// <summary>
/// What a price in the catalog may be, for the shipped file and admin input alike: USD per million tokens,
/// non-negative, at most six decimals (so it is a whole number of picodollars per token) and at most
/// <see cref="MaxDollarsPerMillion"/>; a model's output limit between 1 and <see cref="MaxOutputTokensLimit"/>.
/// </summary>
internal static class PriceRules
{
    /// <summary>Far above any list price (the dearest are a few hundred dollars), low enough that no sum overflows.</summary>
    public const decimal MaxDollarsPerMillion = 10_000m;

    public const int MaxOutputTokensLimit = 10_000_000;

    /// <summary>Null when <paramref name="dollarsPerMillion"/> is a valid price, otherwise what is wrong with it.</summary>
    public static string? Problem(decimal dollarsPerMillion)
    {
        if (dollarsPerMillion < 0)
        {
            return "must not be negative";
        }

        if (dollarsPerMillion > MaxDollarsPerMillion)
        {
            return $"must be at most {MaxDollarsPerMillion} (USD per 1M tokens)";
        }

        return decimal.Truncate(dollarsPerMillion * 1_000_000m) != dollarsPerMillion * 1_000_000m
            ? "may have at most 6 decimals (USD per 1M tokens)"
            : null;
    }

    /// <summary>Null when <paramref name="model"/> can be filed in the catalog, otherwise what is wrong with it.</summary>
    public static string? ModelProblem(string? model) =>
        string.IsNullOrWhiteSpace(model) || model.Length > ModelNames.MaxLength || model.Any(char.IsControl)
            ? $"must be 1 to {ModelNames.MaxLength} characters without control characters"
            : null;
}
