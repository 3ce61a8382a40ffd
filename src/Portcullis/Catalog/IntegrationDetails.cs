using Portcullis.Limits;
using Portcullis.Pricing;

namespace Portcullis.Catalog;

/// <summary>
/// What the data plane needs to know about the integration behind a provider: which models it may use, their own
/// prices and hosts, and the limits the integration's grant sets for the provider's workspace.
/// </summary>
internal sealed class IntegrationDetails
{
    private readonly Dictionary<string, IntegrationModel> _models;

    // Parsed once here, not on every request that names the model.
    private readonly Dictionary<string, Uri> _hosts;

    public IntegrationDetails(IntegrationRecord integration, string workspaceId, IntegrationGrant? grant)
    {
        Id = integration.Id;
        Slug = integration.Slug;
        WorkspaceId = workspaceId;
        AllowAllModels = integration.AllowAllModels;
        _models = integration.Models.ToDictionary(m => m.Slug, StringComparer.Ordinal);
        _hosts = integration.Models.Where(m => m.CustomHost is not null)
            .ToDictionary(m => m.Slug, m => new Uri(m.CustomHost!), StringComparer.Ordinal);
        EnabledModels = AllowAllModels
            ? null
            : _models.Values.Where(m => m.Enabled).Select(m => m.Slug).Order(StringComparer.Ordinal).ToArray();
        UsageLimits = grant?.UsageLimits ?? [];
        RateLimits = grant?.RateLimits ?? [];
    }

    public string Id { get; }

    public string Slug { get; }

    /// <summary>The workspace of the provider, whose grant's limits these are.</summary>
    public string WorkspaceId { get; }

    public bool AllowAllModels { get; }

    public IReadOnlyList<UsageLimit> UsageLimits { get; }

    public IReadOnlyList<RateLimit> RateLimits { get; }

    /// <summary>
    /// Whether <paramref name="model"/> may be used: listed and enabled, or, with <c>allow_all_models</c>, not listed
    /// as disabled. Names compare exactly.
    /// </summary>
    public bool Allows(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return AllowAllModels;
        }

        return _models.TryGetValue(model, out IntegrationModel? listed) ? listed.Enabled : AllowAllModels;
    }

    /// <summary>
    /// Whether an Azure deployment may answer: with a list, its alias or its model name must be listed and enabled;
    /// with <c>allow_all_models</c>, neither may be listed as disabled.
    /// </summary>
    public bool AllowsDeployment(string alias, string? modelName) => AllowAllModels
        ? Allows(alias) && (modelName is null || Allows(modelName))
        : Allows(alias) || (modelName is not null && Allows(modelName));

    /// <summary>The models a caller may name when the integration restricts them; null when it allows all.</summary>
    public IReadOnlyList<string>? EnabledModels { get; }

    /// <summary>
    /// The integration's own price of <paramref name="model"/>, with the output limit of the catalog's price
    /// (<paramref name="catalogPrice"/>) for the worst case; null when the integration sets no price.
    /// </summary>
    public ModelPrice? PriceOf(string? model, ModelPrice? catalogPrice)
    {
        if (model is null || !_models.TryGetValue(model, out IntegrationModel? listed) ||
            listed.InputPerToken is not { } input || listed.OutputPerToken is not { } output)
        {
            return null;
        }

        return new ModelPrice(input, input, output, catalogPrice?.MaxOutputTokens, PriceSource.Integration);
    }

    /// <summary>The host that serves <paramref name="model"/> when the model sets its own; null otherwise.</summary>
    public Uri? HostOf(string? model) => model is not null && _hosts.TryGetValue(model, out Uri? host) ? host : null;

    public override string ToString() => $"IntegrationDetails({Slug}, {WorkspaceId})";
}
