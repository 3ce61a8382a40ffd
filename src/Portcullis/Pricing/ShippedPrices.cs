using System.Collections.Frozen;
using System.Text.Json;

namespace Portcullis.Pricing;

/// <summary>
/// The list prices shipped inside the assembly (<c>Pricing/ShippedPrices.json</c>, USD per million tokens), read once.
/// A broken file is a build mistake, so it fails loudly on first use instead of leaving models unpriced.
/// </summary>
internal static class ShippedPrices
{
    public const string ResourceName = "Portcullis.Pricing.ShippedPrices.json";

    private static readonly Lazy<ShippedPriceList> List = new(Load);

    /// <summary>Every shipped entry, by model name (case-insensitive).</summary>
    public static FrozenDictionary<string, PriceEntry> Entries => List.Value.Entries;

    /// <summary>The date the shipped prices were last checked against the providers' pricing pages.</summary>
    public static string CheckedOn => List.Value.CheckedOn;

    private static ShippedPriceList Load()
    {
        using Stream stream = typeof(ShippedPrices).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price list {ResourceName} is missing.");
        using JsonDocument document = JsonDocument.Parse(stream);
        JsonElement root = document.RootElement;
        var entries = new Dictionary<string, PriceEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonElement item in root.GetProperty("models").EnumerateArray())
        {
            string model = item.GetProperty("model").GetString()!;
            decimal input = Price(item, model, "input")!.Value;
            decimal cached = Price(item, model, "cached_input") ?? input;
            decimal output = Price(item, model, "output")!.Value;
            int? maxOutput = item.TryGetProperty("max_output_tokens", out JsonElement max) && max.ValueKind != JsonValueKind.Null
                ? max.GetInt32()
                : null;
            if (PriceRules.ModelProblem(model) is not null || model != model.Trim().ToLowerInvariant() ||
                maxOutput is < 1 or > PriceRules.MaxOutputTokensLimit)
            {
                throw new InvalidOperationException($"The shipped entry '{model}' has an invalid name or output limit.");
            }

            var price = new ModelPrice(Money.PerMillionToPerToken(input), Money.PerMillionToPerToken(cached),
                Money.PerMillionToPerToken(output), maxOutput);
            if (!entries.TryAdd(model, new PriceEntry(model, null, price, null)))
            {
                throw new InvalidOperationException($"The shipped price of '{model}' is listed twice.");
            }
        }

        return new ShippedPriceList(
            entries.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), root.GetProperty("checked").GetString()!);
    }

    private static decimal? Price(JsonElement item, string model, string name)
    {
        if (!item.TryGetProperty(name, out JsonElement value))
        {
            return name == "cached_input"
                ? null
                : throw new InvalidOperationException($"The shipped price of '{model}' lacks {name}.");
        }

        decimal dollars = value.GetDecimal();
        return PriceRules.Problem(dollars) is { } problem
            ? throw new InvalidOperationException($"The shipped {name} price of '{model}' {problem}.")
            : dollars;
    }

    private sealed record ShippedPriceList(FrozenDictionary<string, PriceEntry> Entries, string CheckedOn);
}
