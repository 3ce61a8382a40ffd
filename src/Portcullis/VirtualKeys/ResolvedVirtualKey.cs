using Portcullis.Storage;
using Portcullis.Vault;

namespace Portcullis.VirtualKeys;

/// <summary>
/// What the data plane needs to use a virtual key: the record, where to send requests, and its secrets still sealed.
/// Secrets are unsealed per request, only for the upstream call.
/// </summary>
internal sealed record ResolvedVirtualKey(
    VirtualKeyRecord Record, Uri BaseUrl, SealedSecret? ProviderKey, SealedSecret? CustomHeaders, Providers.AzureConfig? Azure = null)
{
    public override string ToString() => $"ResolvedVirtualKey({Record.Slug})";
}
