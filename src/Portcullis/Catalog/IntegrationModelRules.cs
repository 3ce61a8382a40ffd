using System.Text.Json;
using Portcullis.Admin;
using Portcullis.Pricing;
using Portcullis.VirtualKeys;

namespace Portcullis.Catalog;

/// <summary>
/// Reads <c>PUT /v1/integrations/{slug}/models</c>. A model's <c>pricing_config</c> is Portkey's static shape,
/// <c>{"type":"static","pay_as_you_go":{"request_token":{"price":P},"response_token":{"price":P}}}</c>, with prices in
/// US cents per token as Portkey's pricing files use (0.00025 is USD 2.50 per million tokens); both are required.
/// </summary>
internal static class IntegrationModelRules
{
    /// <summary>Picodollars in one cent.</summary>
    private const decimal PicosPerCent = 10_000_000_000m;

    /// <summary>
    /// One model entry as given. Fields absent from the entry keep the stored model's values; <c>null</c> clears
    /// them. <see cref="Enabled"/> may be left out only for a model already listed.
    /// </summary>
    public sealed record ModelInput(
        string Slug, bool? Enabled, bool HostGiven, string? CustomHost, bool PriceGiven, long? InputPerToken,
        long? OutputPerToken)
    {
        /// <summary>The model to store: this entry laid over <paramref name="stored"/> (null for a new model).</summary>
        public IntegrationModel ApplyTo(IntegrationModel? stored) => new(
            Slug,
            Enabled ?? stored?.Enabled ?? throw AdminProblem.Validation($"Model '{Slug}' needs enabled: true or false."),
            HostGiven ? CustomHost : stored?.CustomHost,
            PriceGiven ? InputPerToken : stored?.InputPerToken,
            PriceGiven ? OutputPerToken : stored?.OutputPerToken);
    }

    private static readonly string[] BodyFields = ["models", "allow_all_models"];

    private static readonly string[] EntryFields = ["slug", "enabled", "pricing_config", "configurations"];

    private static readonly string[] ConfigurationFields = ["custom_host"];

    /// <summary>Reads the model entries of a body; a slug listed twice or an unknown field is a validation error.</summary>
    public static IReadOnlyList<ModelInput> ReadModels(JsonElement body)
    {
        CatalogFields.RequireKnown(body, "", BodyFields);
        if (!body.TryGetProperty("models", out JsonElement list) || list.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > 1000)
        {
            throw AdminProblem.Validation("models must be an array (at most 1000) of {slug, enabled, pricing_config, configurations}.");
        }

        var models = new List<ModelInput>();
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw AdminProblem.Validation("Each entry of models must be an object.");
            }

            string where = $"models[{models.Count}]";
            CatalogFields.RequireKnown(item, where, EntryFields);
            string slug = AdminJson.String(item, "slug") ?? throw AdminProblem.Validation("Each model needs a slug.");
            if (PriceRules.ModelProblem(slug) is { } problem)
            {
                throw AdminProblem.Validation($"model slug {problem}.");
            }

            if (models.Any(m => m.Slug == slug))
            {
                throw AdminProblem.Validation($"Model '{slug}' is listed twice.");
            }

            bool? enabled = item.TryGetProperty("enabled", out JsonElement e) && e.ValueKind != JsonValueKind.Null
                ? e.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? e.GetBoolean()
                    : throw AdminProblem.Validation($"Model '{slug}' needs enabled: true or false.")
                : null;
            (bool hostGiven, string? host) = ReadHost(item, slug, where);
            bool priceGiven = item.TryGetProperty("pricing_config", out _);
            (long? input, long? output) = ReadPrice(item, slug);
            models.Add(new ModelInput(slug, enabled, hostGiven, host, priceGiven, input, output));
        }

        return models;
    }

    // configurations: {custom_host}; absent leaves the stored host, null (or no custom_host in it) clears it.
    private static (bool Given, string? Host) ReadHost(JsonElement item, string slug, string where)
    {
        if (!item.TryGetProperty("configurations", out JsonElement config))
        {
            return (false, null);
        }

        if (config.ValueKind == JsonValueKind.Null)
        {
            return (true, null);
        }

        if (config.ValueKind != JsonValueKind.Object)
        {
            throw AdminProblem.Validation($"Model '{slug}': configurations must be an object.");
        }

        CatalogFields.RequireKnown(config, where + ".configurations", ConfigurationFields);
        return (true, AdminJson.String(config, "custom_host") is { } h ? CustomHostRules.Normalize(h) : null);
    }

    /// <summary>A price in picodollars per token as Portkey's <c>pricing_config</c> (cents per token).</summary>
    public static object? PricingConfig(IntegrationModel model) =>
        model.InputPerToken is { } input && model.OutputPerToken is { } output
            ? new Dictionary<string, object?>
            {
                ["type"] = "static",
                ["pay_as_you_go"] = new Dictionary<string, object?>
                {
                    ["request_token"] = new { price = input / PicosPerCent },
                    ["response_token"] = new { price = output / PicosPerCent },
                },
            }
            : null;

    private static (long? Input, long? Output) ReadPrice(JsonElement item, string slug)
    {
        if (!item.TryGetProperty("pricing_config", out JsonElement pricing) || pricing.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        string where = $"Model '{slug}': pricing_config";
        if (pricing.ValueKind != JsonValueKind.Object ||
            AdminJson.String(pricing, "type") is not (null or "static") ||
            !pricing.TryGetProperty("pay_as_you_go", out JsonElement payg) || payg.ValueKind != JsonValueKind.Object)
        {
            throw AdminProblem.Validation($"{where} must be {{\"type\":\"static\",\"pay_as_you_go\":{{...}}}}.");
        }

        return (CentsPerToken(payg, "request_token", where), CentsPerToken(payg, "response_token", where));
    }

    private static long CentsPerToken(JsonElement payg, string name, string where)
    {
        if (!payg.TryGetProperty(name, out JsonElement token) || token.ValueKind != JsonValueKind.Object ||
            !token.TryGetProperty("price", out JsonElement price) || price.ValueKind != JsonValueKind.Number ||
            !price.TryGetDecimal(out decimal cents))
        {
            throw AdminProblem.Validation($"{where}.pay_as_you_go.{name}.price must be a number (US cents per token).");
        }

        // Cents per token times 10,000 is dollars per million tokens: the catalog's rules apply to that.
        if (PriceRules.Problem(cents * 10_000m) is not null || decimal.Truncate(cents * PicosPerCent) != cents * PicosPerCent)
        {
            throw AdminProblem.Validation(
                $"{where}.pay_as_you_go.{name}.price must be 0 to 1 US cent per token, in whole picodollars.");
        }

        return (long)(cents * PicosPerCent);
    }
}
