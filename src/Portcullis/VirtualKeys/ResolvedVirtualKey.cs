using Portcullis.Storage;
using Portcullis.Vault;

namespace Portcullis.VirtualKeys;

/// <summary>
/// What the data plane needs to use a virtual key: the record, where to send requests, and its secrets still sealed.
/// Secrets are unsealed per request, only for the upstream call. A provider made from an integration carries the
/// integration's secrets and settings, and <see cref="Integration"/> (allowed models, prices, the grant's limits).
/// </summary>
internal sealed record ResolvedVirtualKey(
    VirtualKeyRecord Record, Uri BaseUrl, SealedSecret? ProviderKey, SealedSecret? CustomHeaders,
    Providers.AzureConfig? Azure = null, Catalog.IntegrationDetails? Integration = null)
{
    /// <summary>
    /// Where requests for <paramref name="model"/> go: the model's own host on the integration, else
    /// <see cref="BaseUrl"/>.
    /// </summary>
    public Uri BaseUrlFor(string? model) => Integration?.HostOf(model) ?? BaseUrl;

    public override string ToString() => $"ResolvedVirtualKey({Record.Slug})";
}
