using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Portcullis.ApiKeys;
using Portcullis.Audit;
using Portcullis.Pricing;
using Portcullis.Storage;

namespace Portcullis.Admin;

/// <summary>
/// The pricing catalog over the admin API: <c>GET</c>, <c>PUT</c> and <c>DELETE /v1/admin/pricing</c>. Prices travel
/// as JSON numbers in USD per million tokens; the catalog keeps them as exact picodollars per token.
/// </summary>
internal static class PricingEndpoints
{
    private static readonly HashSet<string> SetFields = new(StringComparer.Ordinal)
    {
        "model", "virtual_key", "input", "cached_input", "output", "max_output_tokens",
    };

    public static void MapPricing(this RouteGroupBuilder v1)
    {
        v1.MapGet("/admin/pricing", ListPrices).WithScope(Scopes.PricingRead);
        v1.MapPut("/admin/pricing", SetPrice).WithScope(Scopes.PricingWrite);
        v1.MapDelete("/admin/pricing", DeletePrice).WithScope(Scopes.PricingWrite);
    }

    // Without filters: the organisation's price of every model (override, else shipped), then each virtual key's own
    // prices. With virtual_key: the prices that apply to that key. With model: only the entries that price that name.
    private static async Task<IResult> ListPrices(
        HttpContext context, PricingCatalog pricing, IGatewayStore store, CancellationToken cancellationToken)
    {
        string? slug = Query(context.Request, "virtual_key");
        string? model = Query(context.Request, "model");
        if (model is not null && PriceRules.ModelProblem(model) is { } problem)
        {
            throw AdminProblem.Validation($"model {problem}.");
        }

        Caller caller = context.Actor();
        await RequireReachableAsync(caller, slug, store, cancellationToken);

        // A workspace key sees the organisation's prices (they apply to it) and its own workspace's keys' prices.
        PriceTable table = pricing.Current;
        string[] keys = table.VirtualKeys.Order(StringComparer.Ordinal).ToArray();
        if (!caller.IsOrganisation)
        {
            Page<VirtualKeyRecord> own = await store.ListVirtualKeysAsync(caller.WorkspaceId, 0, 100_000, cancellationToken);
            var reachable = own.Items.Select(k => k.Slug).ToHashSet(StringComparer.Ordinal);
            keys = keys.Where(reachable.Contains).ToArray();
        }

        IReadOnlyList<PriceEntry> rows = (slug, model) switch
        {
            (not null, not null) => [.. Found(table.Resolve(slug, model))],
            (not null, null) => table.Effective(slug),
            (null, not null) =>
                [.. Found(table.Resolve(null, model)), .. keys.SelectMany(k => Found(table.ResolveOwn(k, model)))],
            (null, null) => [.. table.Effective(null), .. keys.SelectMany(table.Own)],
        };

        (int offset, int limit) = AdminJson.Paging(context.Request);
        return Results.Json(new Dictionary<string, object?>
        {
            ["object"] = "list",
            ["total"] = rows.Count,
            ["data"] = rows.Skip(offset).Take(limit).Select(Shape).ToArray(),
        });
    }

    private static async Task<IResult> SetPrice(
        HttpContext context, PricingCatalog pricing, IGatewayStore store, AuditTrail audit, CancellationToken cancellationToken)
    {
        // 1. Read and check every field before anything changes.
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        foreach (JsonProperty property in body.EnumerateObject())
        {
            if (!SetFields.Contains(property.Name))
            {
                throw AdminProblem.Validation($"Unknown field '{Shorten(property.Name)}'; a price has model, virtual_key, " +
                    "input, cached_input, output and max_output_tokens.");
            }
        }

        string model = RequireModel(AdminJson.String(body, "model"));
        string? slug = AdminJson.String(body, "virtual_key");
        RequireOrganisationFor(context.Actor(), slug);
        if (slug is { Length: 0 })
        {
            throw AdminProblem.Validation(
                "virtual_key must name a virtual key's slug, or be left out for an organisation-wide price.");
        }

        decimal input = Dollars(body, "input")
            ?? throw AdminProblem.Validation("input is required (USD per 1M input tokens).");
        decimal output = Dollars(body, "output")
            ?? throw AdminProblem.Validation("output is required (USD per 1M output tokens).");
        decimal cached = Dollars(body, "cached_input") ?? input;
        if (cached > input)
        {
            // The worst case prices every input token at the input rate; a dearer cached rate would break that bound.
            throw AdminProblem.Validation("cached_input must not be more than input.");
        }
        int? maxOutput = MaxOutputTokens(body);

        // 2. Store it; the catalog swaps the new table in before answering, so the next request pays the new price.
        await RequireReachableAsync(context.Actor(), slug, store, cancellationToken);

        var price = new ModelPrice(Money.PerMillionToPerToken(input), Money.PerMillionToPerToken(cached),
            Money.PerMillionToPerToken(output), maxOutput);
        PriceEntry entry = await pricing.SetAsync(slug, model, price, cancellationToken)
            ?? throw AdminProblem.NotFound($"Virtual key '{slug}'");

        await audit.RecordAsync(context.Actor().KeyId, "pricing.set", "model-price", Target(slug, entry.Model),
            "fields: " + string.Join(",", body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)),
            cancellationToken);
        return Results.Json(Shape(entry));
    }

    private static async Task<IResult> DeletePrice(
        HttpContext context, PricingCatalog pricing, IGatewayStore store, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        string model = RequireModel(Query(context.Request, "model"));
        string? slug = Query(context.Request, "virtual_key");
        RequireOrganisationFor(context.Actor(), slug);
        await RequireReachableAsync(context.Actor(), slug, store, cancellationToken);
        if (!await pricing.RemoveAsync(slug, model, cancellationToken))
        {
            throw AdminProblem.NotFound(slug is null
                ? $"An organisation-wide price for model '{model}'"
                : $"A price for model '{model}' on virtual key '{slug}'");
        }

        string name = model.ToLowerInvariant();
        await audit.RecordAsync(
            context.Actor().KeyId, "pricing.delete", "model-price", Target(slug, name), null, cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["success"] = true,
            ["object"] = "model-price",
            ["model"] = name,
            ["virtual_key"] = slug,
            ["deleted"] = true,
        });
    }

    private static Dictionary<string, object?> Shape(PriceEntry entry) => new()
    {
        ["object"] = "model-price",
        ["model"] = entry.Model,
        ["virtual_key"] = entry.VirtualKey,
        ["input"] = Money.PerTokenToPerMillion(entry.Price.InputPerToken),
        ["cached_input"] = Money.PerTokenToPerMillion(entry.Price.CachedInputPerToken),
        ["output"] = Money.PerTokenToPerMillion(entry.Price.OutputPerToken),
        ["max_output_tokens"] = entry.Price.MaxOutputTokens,
        ["source"] = entry.Price.Source switch
        {
            PriceSource.Override => "override",
            PriceSource.VirtualKey => "virtual_key",
            _ => "shipped",
        },
        ["updated_at"] = entry.UpdatedAt,
    };

    // Organisation-wide prices (no virtual key) are changed by organisation keys only; a virtual key of a workspace
    // the caller cannot reach answers as an unknown one.
    private static async Task RequireReachableAsync(
        Caller caller, string? slug, IGatewayStore store, CancellationToken cancellationToken)
    {
        if (slug is null)
        {
            return;
        }

        if (await store.GetVirtualKeyAsync(slug, cancellationToken) is not { } key || !caller.CanReach(key.WorkspaceId))
        {
            throw AdminProblem.NotFound($"Virtual key '{slug}'");
        }
    }

    // A price decides what every budget is charged, the workspace's and the integration grant's that the organisation
    // sets among them: a workspace key that could price its own keys could spend past both.
    private static void RequireOrganisationFor(Caller caller, string? slug)
    {
        if (!caller.IsOrganisation)
        {
            throw new AdminProblem(403, "AB03", slug is null
                ? "Only organisation keys may change prices."
                : "Only organisation keys may change prices, also a virtual key's: prices decide what the budgets " +
                  "the organisation sets are charged.");
        }
    }

    private static PriceEntry[] Found(PriceEntry? entry) => entry is null ? [] : [entry];

    private static string RequireModel(string? model) =>
        PriceRules.ModelProblem(model) is { } problem
            ? throw AdminProblem.Validation($"model is required and {problem}.")
            : model!.Trim();

    // A price in USD per 1M tokens, or null when the field is absent or null.
    private static decimal? Dollars(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out decimal dollars))
        {
            throw AdminProblem.Validation($"{name} must be a JSON number: USD per 1M tokens, such as 2.5.");
        }

        return PriceRules.Problem(dollars) is { } problem ? throw AdminProblem.Validation($"{name} {problem}.") : dollars;
    }

    private static int? MaxOutputTokens(JsonElement body)
    {
        if (!body.TryGetProperty("max_output_tokens", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int tokens) &&
               tokens is >= 1 and <= PriceRules.MaxOutputTokensLimit
            ? tokens
            : throw AdminProblem.Validation(
                $"max_output_tokens must be a whole number from 1 to {PriceRules.MaxOutputTokensLimit}.");
    }

    private static string? Query(HttpRequest request, string name)
    {
        StringValues values = request.Query[name];
        if (values.Count == 0)
        {
            return null;
        }

        return values.Count > 1 || string.IsNullOrEmpty(values[0])
            ? throw AdminProblem.Validation($"Give {name} once, not empty.")
            : values[0];
    }

    private static string Target(string? slug, string model) => slug is null ? model : $"{slug}/{model}";

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
