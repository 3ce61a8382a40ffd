using System.Collections.Concurrent;
using System.Text.Json;
using Portcullis.Admin;
using Portcullis.Providers;
using Portcullis.Storage;
using Portcullis.Vault;

namespace Portcullis.VirtualKeys;

/// <summary>
/// Creates, changes and resolves virtual keys. The admin API, the CLI (through the admin API) and the data plane all
/// go through here. Resolution is cached per slug and the cache is cleared on every change.
/// </summary>
internal sealed class VirtualKeyService(
    IGatewayStore store, VaultService vault, ProviderCatalog providers, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResolvedVirtualKey?> _cache = new(StringComparer.Ordinal);

    /// <summary>Finds an active virtual key by slug for the data plane; null when unknown, disabled or expired.</summary>
    public async ValueTask<ResolvedVirtualKey?> ResolveAsync(string slug, CancellationToken cancellationToken)
    {
        if (!_cache.TryGetValue(slug, out ResolvedVirtualKey? resolved))
        {
            resolved = await LoadAsync(slug, cancellationToken);
            if (_cache.Count > 100_000)
            {
                _cache.Clear();
            }

            _cache[slug] = resolved;
        }

        if (resolved is null || resolved.Record.Status != "active")
        {
            return null;
        }

        return resolved.Record.ExpiresAt is { } expires && expires <= time.GetUtcNow() ? null : resolved;
    }

    public void Invalidate() => _cache.Clear();

    public Task<VirtualKeyRecord?> GetAsync(string slug, CancellationToken cancellationToken) =>
        store.GetVirtualKeyAsync(slug, cancellationToken);

    public Task<Page<VirtualKeyRecord>> ListAsync(int offset, int limit, CancellationToken cancellationToken) =>
        store.ListVirtualKeysAsync(offset, limit, cancellationToken);

    public async Task<VirtualKeyRecord> CreateAsync(VirtualKeyInput input, CancellationToken cancellationToken)
    {
        // 1. Validate everything before anything is sealed or stored.
        string name = RequireName(input.Name);
        string provider = RequireProvider(input.Provider);
        string? customHost = input.CustomHost is null ? null : CustomHostRules.Normalize(input.CustomHost);
        bool azure = provider == AzureConfig.ProviderId;
        string? providerConfig = azure
            ? JsonSerializer.Serialize(AzureConfigRules.Validate(input.Azure, customHost is not null))
            : input.Azure is null ? null : throw AdminProblem.Validation("resourceName and deploymentConfig are for azure-openai keys.");
        if (customHost is null && providers.BaseUrlOf(provider) is null && !azure)
        {
            throw AdminProblem.Validation($"Provider '{provider}' is self-hosted: set custom_host to its base URL (with /v1).");
        }

        IReadOnlyDictionary<string, string>? headers = input.CustomHeaders is null ? null : CustomHeaderRules.Validate(input.CustomHeaders);
        string workspace = input.WorkspaceId ?? Workspaces.WorkspaceService.DefaultId;
        string id = Guid.CreateVersion7().ToString();
        DateTimeOffset now = time.GetUtcNow();
        var secrets = new List<SealedSecret>();

        // 2. The provider secret: a new one, a shared one, or none for a self-hosted server without auth.
        string? secretId = null;
        string mask = "";
        if (input.ShareKeyWith is { } sharedSlug)
        {
            if (input.Key is not null)
            {
                throw AdminProblem.Validation("Give either key or share_key_with, not both.");
            }

            VirtualKeyRecord shared = await store.GetVirtualKeyAsync(sharedSlug, cancellationToken)
                ?? throw AdminProblem.Validation($"share_key_with: virtual key '{sharedSlug}' does not exist.");
            if (shared.SecretId is null)
            {
                throw AdminProblem.Validation($"share_key_with: virtual key '{sharedSlug}' holds no key.");
            }

            if (!string.Equals(shared.Provider, provider, StringComparison.OrdinalIgnoreCase))
            {
                throw AdminProblem.Validation($"share_key_with: '{sharedSlug}' is a {shared.Provider} key, not {provider}.");
            }

            secretId = shared.SecretId;
            mask = shared.KeyMask;
            workspace = shared.WorkspaceId;
        }
        else if (input.Key is not null)
        {
            SecretValueRules.ProviderKey(input.Key);
            secretId = Guid.CreateVersion7().ToString();
            mask = SecretValue.MaskOf(input.Key);
            secrets.Add(vault.Seal(secretId, SecretPurpose.ProviderKey, workspace, input.Key));
        }
        else if (customHost is null || azure)
        {
            throw AdminProblem.Validation("key is required (the provider API key this virtual key stands for).");
        }

        // 3. Custom header values are secrets too: sealed together as one JSON object.
        string? headersSecretId = null;
        if (headers is { Count: > 0 })
        {
            headersSecretId = Guid.CreateVersion7().ToString();
            secrets.Add(vault.Seal(headersSecretId, SecretPurpose.CustomHeaders, workspace, JsonSerializer.Serialize(headers)));
        }

        var record = new VirtualKeyRecord
        {
            Id = id,
            Slug = SlugGenerator.FromName(name),
            WorkspaceId = workspace,
            Name = name,
            Provider = provider,
            Note = input.Note,
            Status = "active",
            SecretId = secretId,
            KeyMask = mask,
            CustomHost = customHost,
            ProviderConfig = providerConfig,
            CustomHeaderNames = headers?.Keys.ToArray() ?? [],
            CustomHeadersSecretId = headersSecretId,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = input.ExpiresAt,
            UsageLimits = input.UsageLimits ?? [],
            RateLimits = input.RateLimits ?? [],
        };
        await store.CreateVirtualKeyAsync(record, secrets, now, cancellationToken);
        Invalidate();
        return record;
    }

    /// <summary>
    /// Changes a virtual key. A concurrent change of the same key is never undone: the store compares
    /// <c>updated_at</c> and this method re-reads and re-applies the input when someone else came first.
    /// </summary>
    public async Task<VirtualKeyRecord> UpdateAsync(string slug, VirtualKeyInput input, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            (VirtualKeyRecord next, List<SealedSecret> secrets, DateTimeOffset expected) =
                await PrepareUpdateAsync(slug, input, cancellationToken);
            if (await store.UpdateVirtualKeyAsync(next, secrets, expected, cancellationToken))
            {
                Invalidate();
                return next;
            }
        }

        throw AdminProblem.Conflict($"Virtual key '{slug}' kept changing under this update; try again.");
    }

    private async Task<(VirtualKeyRecord Next, List<SealedSecret> Secrets, DateTimeOffset Expected)> PrepareUpdateAsync(
        string slug, VirtualKeyInput input, CancellationToken cancellationToken)
    {
        VirtualKeyRecord current = await store.GetVirtualKeyAsync(slug, cancellationToken)
            ?? throw AdminProblem.NotFound($"Virtual key '{slug}'");
        if (input.Provider is not null &&
            !string.Equals(RequireProvider(input.Provider), current.Provider, StringComparison.OrdinalIgnoreCase))
        {
            throw AdminProblem.Validation("provider cannot change; create a new virtual key instead.");
        }

        if (input.ShareKeyWith is not null)
        {
            throw AdminProblem.Validation("share_key_with is only accepted on create.");
        }

        if (current.IntegrationId is not null &&
            (input.Key is not null || input.CustomHostGiven || input.CustomHeaders is not null || input.Azure is not null))
        {
            throw AdminProblem.Validation(
                "This provider takes its key, host and headers from its integration; change the integration instead.");
        }

        DateTimeOffset now = time.GetUtcNow();
        now = now > current.UpdatedAt ? now : current.UpdatedAt.AddTicks(1);
        var secrets = new List<SealedSecret>();
        VirtualKeyRecord next = current with { UpdatedAt = now };

        if (input.Name is not null)
        {
            next = next with { Name = RequireName(input.Name) };
        }

        if (input.NoteGiven)
        {
            next = next with { Note = input.Note };
        }

        // "exhausted" is read-only state derived from the budgets; a record read and sent back keeps its status.
        if (input.Status is not null and not "exhausted")
        {
            next = next with { Status = input.Status is "active" or "disabled"
                ? input.Status
                : throw AdminProblem.Validation("status must be 'active' or 'disabled'.") };
        }

        if (input.UsageLimits is not null)
        {
            next = next with { UsageLimits = input.UsageLimits };
        }

        if (input.RateLimits is not null)
        {
            next = next with { RateLimits = input.RateLimits };
        }

        if (input.ExpiresAtGiven)
        {
            next = next with { ExpiresAt = input.ExpiresAt };
        }

        if (input.CustomHostGiven)
        {
            string? host = input.CustomHost is null ? null : CustomHostRules.Normalize(input.CustomHost);
            if (host is null && providers.BaseUrlOf(current.Provider) is null && current.Provider != AzureConfig.ProviderId)
            {
                throw AdminProblem.Validation($"Provider '{current.Provider}' is self-hosted: custom_host cannot be removed.");
            }

            next = next with { CustomHost = host };
        }

        if (input.Azure is not null)
        {
            if (current.Provider != AzureConfig.ProviderId)
            {
                throw AdminProblem.Validation("resourceName and deploymentConfig are for azure-openai keys.");
            }

            AzureConfig stored = current.ProviderConfig is null
                ? new AzureConfig(null, [], null)
                : JsonSerializer.Deserialize<AzureConfig>(current.ProviderConfig)!;
            var merged = new AzureConfig(
                input.Azure.ResourceName ?? stored.ResourceName,
                input.Azure.Deployments.Count > 0 ? input.Azure.Deployments : stored.Deployments,
                input.Azure.AuthHeaderName ?? stored.AuthHeaderName);
            next = next with { ProviderConfig = JsonSerializer.Serialize(AzureConfigRules.Validate(merged, next.CustomHost is not null)) };
        }

        // Rotation: the secret row is replaced in place (same id, fresh data key), so every virtual key sharing it moves
        // to the new value together; requests already holding the old value finish with it.
        if (input.Key is not null)
        {
            SecretValueRules.ProviderKey(input.Key);
            string secretId = current.SecretId ?? Guid.CreateVersion7().ToString();
            secrets.Add(vault.Seal(secretId, SecretPurpose.ProviderKey, current.WorkspaceId, input.Key));
            next = next with { SecretId = secretId, KeyMask = SecretValue.MaskOf(input.Key) };
        }

        if (input.CustomHeaders is not null)
        {
            IReadOnlyDictionary<string, string> headers = CustomHeaderRules.Validate(input.CustomHeaders);
            if (headers.Count == 0)
            {
                next = next with { CustomHeaderNames = [], CustomHeadersSecretId = null };
            }
            else
            {
                string headersId = current.CustomHeadersSecretId ?? Guid.CreateVersion7().ToString();
                secrets.Add(vault.Seal(headersId, SecretPurpose.CustomHeaders, current.WorkspaceId, JsonSerializer.Serialize(headers)));
                next = next with { CustomHeaderNames = headers.Keys.ToArray(), CustomHeadersSecretId = headersId };
            }
        }

        return (next, secrets, current.UpdatedAt);
    }

    public async Task<bool> DeleteAsync(string slug, CancellationToken cancellationToken)
    {
        bool deleted = await store.DeleteVirtualKeyAsync(slug, cancellationToken);
        Invalidate();
        return deleted;
    }

    private async Task<ResolvedVirtualKey?> LoadAsync(string slug, CancellationToken cancellationToken)
    {
        VirtualKeyRecord? record = await store.GetVirtualKeyAsync(slug, cancellationToken);
        if (record is null)
        {
            return null;
        }

        if (record.IntegrationId is { } integrationId)
        {
            return await LoadProviderAsync(record, integrationId, cancellationToken);
        }

        SealedSecret? key = record.SecretId is null ? null : await store.GetSecretAsync(record.SecretId, cancellationToken);
        SealedSecret? headers = record.CustomHeadersSecretId is null
            ? null
            : await store.GetSecretAsync(record.CustomHeadersSecretId, cancellationToken);
        AzureConfig? azure = record.Provider == AzureConfig.ProviderId && record.ProviderConfig is not null
            ? JsonSerializer.Deserialize<AzureConfig>(record.ProviderConfig)
            : null;
        Uri baseUrl = BaseUrlOf(record.CustomHost, azure, record.Provider)
            ?? throw new InvalidOperationException("A stored key has no base URL.");
        return new ResolvedVirtualKey(record, baseUrl, key, headers, azure);
    }

    // A provider takes its credential, host and settings from its integration, which must still be active and
    // usable in the provider's workspace; otherwise the provider does not resolve.
    private async Task<ResolvedVirtualKey?> LoadProviderAsync(
        VirtualKeyRecord record, string integrationId, CancellationToken cancellationToken)
    {
        Catalog.IntegrationRecord? integration = await store.GetIntegrationByIdAsync(integrationId, cancellationToken);
        if (integration is null || integration.Status != "active" ||
            !Catalog.IntegrationAccess.IsUsableIn(integration, record.WorkspaceId))
        {
            return null;
        }

        SealedSecret? key = integration.SecretId is null ? null : await store.GetSecretAsync(integration.SecretId, cancellationToken);
        SealedSecret? headers = integration.CustomHeadersSecretId is null
            ? null
            : await store.GetSecretAsync(integration.CustomHeadersSecretId, cancellationToken);
        Uri? baseUrl = BaseUrlOf(integration.CustomHost, integration.Azure, integration.AiProviderId);
        if (baseUrl is null)
        {
            return null;
        }

        var details = new Catalog.IntegrationDetails(
            integration, record.WorkspaceId, Catalog.IntegrationAccess.GrantFor(integration, record.WorkspaceId));
        return new ResolvedVirtualKey(record, baseUrl, key, headers, integration.Azure, details);
    }

    // Where a key's requests go: its custom host, else its Azure resource, else the provider's own base URL.
    private Uri? BaseUrlOf(string? customHost, AzureConfig? azure, string provider) =>
        customHost is not null ? new Uri(customHost)
        : azure?.ResourceName is { } resource ? new Uri($"https://{resource}.openai.azure.com")
        : providers.BaseUrlOf(provider);

    private static string RequireName(string? name) => AdminJson.Name(name);

    private string RequireProvider(string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            throw AdminProblem.Validation("provider is required, for example 'openai'.");
        }

        if (!providers.IsKnown(provider))
        {
            throw AdminProblem.Validation(
                $"Provider '{provider}' is not supported yet; supported: {string.Join(", ", providers.Ids)}.");
        }

        return providers.Canonical(provider);
    }
}
