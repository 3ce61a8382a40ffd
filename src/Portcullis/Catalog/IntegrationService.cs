using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Portcullis.Admin;
using Portcullis.Budgets;
using Portcullis.Providers;
using Portcullis.Storage;
using Portcullis.Vault;
using Portcullis.VirtualKeys;

namespace Portcullis.Catalog;

/// <summary>
/// Creates and changes integrations: the credential is sealed once, with its custom headers (and OpenAI organisation
/// and project, sent as headers) as a second secret. Every change clears the resolution cache, so providers made from
/// the integration use the change from their next request.
/// </summary>
internal sealed partial class IntegrationService(
    IGatewayStore store, VaultService vault, ProviderCatalog providers, VirtualKeyService virtualKeys, IUsageLedger ledger,
    ProviderService providerRows, TimeProvider time)
{
    public Task<IntegrationRecord?> GetAsync(string slug, CancellationToken cancellationToken) =>
        store.GetIntegrationAsync(slug, cancellationToken);

    public Task<IReadOnlyList<IntegrationRecord>> ListAsync(CancellationToken cancellationToken) =>
        store.ListIntegrationsAsync(cancellationToken);

    /// <summary>
    /// Creates an integration. A workspace integration also gets its default provider in that workspace (Portkey's
    /// <c>create_default_provider</c>, default true), under <c>default_provider_slug</c> or else the integration's
    /// slug; a provider slug already taken is a 409 and nothing is stored. An organisation integration gets default
    /// providers when it is granted to workspaces (<see cref="SetWorkspacesAsync"/>).
    /// </summary>
    /// <param name="workspaceId">The owning workspace, or null for an organisation-level integration.</param>
    public async Task<IntegrationOutcome> CreateAsync(
        IntegrationInput input, string? workspaceId, CancellationToken cancellationToken)
    {
        // 1. Validate everything before anything is sealed or stored.
        string name = AdminJson.Name(input.Name);
        string provider = RequireProvider(input.AiProviderId);
        string slug = input.Slug is null ? SlugGenerator.FromName(name) : RequireSlug(input.Slug);
        if (await store.GetIntegrationAsync(slug, cancellationToken) is not null)
        {
            throw AdminProblem.Conflict($"An integration with slug '{slug}' already exists.");
        }

        DateTimeOffset now = time.GetUtcNow();
        var record = new IntegrationRecord
        {
            Id = Guid.CreateVersion7().ToString(),
            Slug = slug,
            WorkspaceId = workspaceId,
            Name = name,
            AiProviderId = provider,
            Description = Description(input.Description),
            Status = "active",
            CreatedAt = now,
            UpdatedAt = now,
        };
        var secrets = new List<SealedSecret>();
        record = ApplyConfigurations(record, input, secrets);
        if (input.Key is not null)
        {
            record = ApplyKey(record, input.Key, secrets);
        }
        else if (record.CustomHost is null || provider == AzureConfig.ProviderId)
        {
            throw AdminProblem.Validation("key is required (the provider API key this integration holds).");
        }

        // 2. The default provider of a workspace integration, checked before anything is stored.
        VirtualKeyRecord[] defaults = [];
        if (workspaceId is null && input.DefaultProvider.Slug is not null)
        {
            throw AdminProblem.Validation(
                "default_provider_slug applies to workspace integrations; an organisation integration gets its " +
                $"default providers per workspace on PUT /v1/integrations/{slug}/workspaces.");
        }

        if (workspaceId is not null && input.DefaultProvider.Create != false)
        {
            defaults = [providerRows.DraftDefault(record, workspaceId, input.DefaultProvider.Slug ?? slug)];
            await RequireFreeAsync(defaults, cancellationToken);
        }

        // 3. One transaction; a slug taken meanwhile is a conflict, not a failure, and leaves nothing behind.
        try
        {
            await store.CreateIntegrationAsync(record, secrets, cancellationToken, defaults);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            if (await store.GetIntegrationAsync(slug, cancellationToken) is null && defaults.Length > 0)
            {
                throw ProviderService.SlugTaken(defaults[0].Slug);
            }

            throw AdminProblem.Conflict($"An integration with slug '{slug}' already exists.");
        }

        if (defaults.Length > 0)
        {
            virtualKeys.Invalidate();
        }

        return new IntegrationOutcome(record, defaults);
    }

    /// <summary>Name, description, key (rotation: every provider moves to the new key) and configurations.</summary>
    public Task<IntegrationRecord> UpdateAsync(string slug, IntegrationInput input, CancellationToken cancellationToken)
    {
        if (input.AiProviderId is not null || input.Slug is not null && input.Slug != slug || input.WorkspaceId is not null)
        {
            throw AdminProblem.Validation("ai_provider_id, slug and workspace_id cannot change; create a new integration.");
        }

        if (input.DefaultProvider != DefaultProviderChoice.None)
        {
            throw AdminProblem.Validation(
                "create_default_provider and default_provider_slug apply when an integration is created or granted; " +
                "to add a provider now, use POST /v1/providers.");
        }

        return ChangeAsync(slug, (current, secrets) =>
        {
            IntegrationRecord next = current;
            next = input.Name is null ? next : next with { Name = AdminJson.Name(input.Name) };
            next = input.DescriptionGiven ? next with { Description = Description(input.Description) } : next;
            next = input.ConfigurationsGiven ? ApplyConfigurations(next, input, secrets) : next;
            return input.Key is null ? next : ApplyKey(next, input.Key, secrets);
        }, cancellationToken);
    }

    /// <summary>
    /// Merges model entries by slug (a listed model keeps the stored values of the fields its entry leaves out) and
    /// sets <c>allow_all_models</c> when given.
    /// </summary>
    public Task<IntegrationRecord> SetModelsAsync(
        string slug, bool? allowAllModels, IReadOnlyList<IntegrationModelRules.ModelInput> models,
        CancellationToken cancellationToken) =>
        ChangeAsync(slug, (current, _) =>
        {
            var merged = current.Models.ToDictionary(m => m.Slug, StringComparer.Ordinal);
            foreach (IntegrationModelRules.ModelInput model in models)
            {
                merged[model.Slug] = model.ApplyTo(merged.GetValueOrDefault(model.Slug));
            }

            return current with
            {
                AllowAllModels = allowAllModels ?? current.AllowAllModels,
                Models = merged.Values.OrderBy(m => m.Slug, StringComparer.Ordinal).ToArray(),
            };
        }, cancellationToken);

    public Task<IntegrationRecord> DeleteModelsAsync(
        string slug, IReadOnlyCollection<string> models, CancellationToken cancellationToken) =>
        ChangeAsync(slug, (current, _) =>
            current with { Models = current.Models.Where(m => !models.Contains(m.Slug)).ToArray() }, cancellationToken);

    /// <summary>
    /// Merges workspace grants by id (a listed grant keeps the stored values of the fields its entry leaves out), drops
    /// the unlisted ones with <paramref name="replaceAll"/>, sets global access when given, and applies the grants'
    /// budgets to the ledger: usage is kept unless the entry asks for <c>reset_usage</c>; a dropped grant's goes.
    /// A listed workspace that ends up enabled gets a default provider (see <see cref="DefaultsFor"/>), stored with the
    /// grants in one transaction; a provider slug already taken is a 409 and nothing changes.
    /// </summary>
    public async Task<IntegrationOutcome> SetWorkspacesAsync(
        string slug, IReadOnlyList<IntegrationGrantRules.GrantInput> grants, IntegrationGrantRules.GrantInput? global,
        bool replaceAll, DefaultProviderChoice topLevel, CancellationToken cancellationToken)
    {
        // 1. The workspaces that already hold a provider of this integration get no default one.
        IntegrationRecord found = await store.GetIntegrationAsync(slug, cancellationToken)
            ?? throw AdminProblem.NotFound($"Integration '{slug}'");
        HashSet<string> served = (await store.ListProvidersOfIntegrationAsync(found.Id, cancellationToken))
            .Select(p => p.WorkspaceId).ToHashSet(StringComparer.Ordinal);

        // 2. Grants and default providers, stored together.
        IReadOnlyList<IntegrationGrant> before = [];
        var defaults = new List<VirtualKeyRecord>();
        IntegrationRecord updated;
        try
        {
            updated = await ChangeAsync(slug, (current, _) =>
            {
                if (current.WorkspaceId is { } owner && grants.Any(g => g.WorkspaceId != owner))
                {
                    throw AdminProblem.Validation($"Integration '{slug}' belongs to workspace '{owner}' and serves only it.");
                }

                before = current.Grants;
                var stored = current.Grants.ToDictionary(g => g.WorkspaceId, StringComparer.Ordinal);
                var merged = replaceAll ? [] : new Dictionary<string, IntegrationGrant>(stored, StringComparer.Ordinal);
                foreach (IntegrationGrantRules.GrantInput given in global is null ? grants : [.. grants, global])
                {
                    merged[given.WorkspaceId] = given.ApplyTo(stored.GetValueOrDefault(given.WorkspaceId));
                }

                IntegrationRecord next =
                    current with { Grants = merged.Values.OrderBy(g => g.WorkspaceId, StringComparer.Ordinal).ToArray() };
                defaults.Clear();
                defaults.AddRange(DefaultsFor(next, stored, grants, topLevel, served));
                return next;
            }, cancellationToken, defaults);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw await TakenSlugAsync(defaults, cancellationToken);
        }

        // 3. The grants' budgets.
        foreach (IntegrationGrantRules.GrantInput given in grants)
        {
            IntegrationGrant grant = updated.Grants.First(g => g.WorkspaceId == given.WorkspaceId);
            await ledger.ConfigureAsync(
                BudgetOwner.ForIntegration(updated.Id, updated.Slug, grant.WorkspaceId), grant.UsageLimits,
                given.ResetUsage, cancellationToken);
        }

        // Global access counts per workspace: its reset_usage resets the counter of every workspace it serves.
        if (global is { ResetUsage: true } &&
            updated.Grants.FirstOrDefault(g => g.WorkspaceId == IntegrationGrant.GlobalWorkspace) is { } shared)
        {
            foreach (string workspace in await WorkspacesUnderGlobalAccessAsync(updated, cancellationToken))
            {
                await ledger.ConfigureAsync(
                    BudgetOwner.ForIntegration(updated.Id, updated.Slug, workspace), shared.UsageLimits, resetUsage: true,
                    cancellationToken);
            }
        }

        foreach (IntegrationGrant dropped in before.Where(b => updated.Grants.All(g => g.WorkspaceId != b.WorkspaceId)))
        {
            await ledger.RemoveAsync(BudgetOwner.ForIntegration(updated.Id, updated.Slug, dropped.WorkspaceId), cancellationToken);
        }

        return new IntegrationOutcome(updated, defaults.ToArray());
    }

    /// <summary>The workspaces served through global access rather than an entry of their own.</summary>
    public async Task<IReadOnlyList<string>> WorkspacesUnderGlobalAccessAsync(
        IntegrationRecord integration, CancellationToken cancellationToken)
    {
        if (integration.WorkspaceId is not null ||
            !integration.Grants.Any(g => g.WorkspaceId == IntegrationGrant.GlobalWorkspace && g.Enabled))
        {
            return [];
        }

        Page<WorkspaceRecord> all = await store.ListWorkspacesAsync(null, null, 0, 100_000, cancellationToken);
        return all.Items.Select(w => w.Id).Where(id => integration.Grants.All(g => g.WorkspaceId != id)).ToArray();
    }

    /// <summary>
    /// The default providers a grants change creates. A listed workspace gets one when its grant ends up enabled, it
    /// holds no provider of this integration yet, and <c>create_default_provider</c> (the entry's, else the top
    /// level's) is true, or is left out and the grant was not enabled before (Portkey's default, true, applies on
    /// granting). Its slug is <c>default_provider_slug</c> (the entry's, else the top level's), else
    /// <c>&lt;integration&gt;-&lt;workspace&gt;</c>: provider slugs are one namespace across workspaces, so the
    /// integration's own slug could serve only one of them. Global access creates none.
    /// </summary>
    private List<VirtualKeyRecord> DefaultsFor(
        IntegrationRecord next, Dictionary<string, IntegrationGrant> stored,
        IReadOnlyList<IntegrationGrantRules.GrantInput> grants, DefaultProviderChoice topLevel, HashSet<string> served)
    {
        var created = new List<VirtualKeyRecord>();
        foreach (IntegrationGrantRules.GrantInput given in grants)
        {
            DefaultProviderChoice choice = given.DefaultProvider.Over(topLevel);
            bool enabled = next.Grants.Any(g => g.WorkspaceId == given.WorkspaceId && g.Enabled);
            bool newlyEnabled = stored.GetValueOrDefault(given.WorkspaceId) is not { Enabled: true };
            // A workspace integration serves its workspace without a grant: only an explicit true makes one there.
            bool byDefault = newlyEnabled && next.WorkspaceId is null;
            if (!enabled || served.Contains(given.WorkspaceId) || choice.Create == false ||
                (choice.Create is null && !byDefault))
            {
                continue;
            }

            string slug = choice.Slug ?? $"{next.Slug}-{given.WorkspaceId}";
            if (!IsSlug(slug))
            {
                throw AdminProblem.Validation(
                    $"The default provider slug '{slug}' would be longer than 100 characters; set default_provider_slug.");
            }

            if (created.Any(p => p.Slug == slug))
            {
                throw ProviderService.SlugTaken(slug);
            }

            created.Add(providerRows.DraftDefault(next, given.WorkspaceId, slug));
        }

        return created;
    }

    // 409 naming the first default provider slug already taken, before anything is stored.
    private async Task RequireFreeAsync(IEnumerable<VirtualKeyRecord> drafts, CancellationToken cancellationToken)
    {
        foreach (VirtualKeyRecord draft in drafts)
        {
            if (await store.GetVirtualKeyAsync(draft.Slug, cancellationToken) is not null)
            {
                throw ProviderService.SlugTaken(draft.Slug);
            }
        }
    }

    // After the store refused a change for a slug taken: the 409 naming it (the transaction stored nothing).
    private async Task<AdminProblem> TakenSlugAsync(
        IReadOnlyList<VirtualKeyRecord> drafts, CancellationToken cancellationToken)
    {
        foreach (VirtualKeyRecord draft in drafts)
        {
            if (await store.GetVirtualKeyAsync(draft.Slug, cancellationToken) is not null)
            {
                return ProviderService.SlugTaken(draft.Slug);
            }
        }

        return AdminProblem.Conflict("A default provider slug is taken by another provider or virtual key.");
    }

    /// <summary>
    /// Deletes an integration. While providers use it the answer is 409, unless <paramref name="cascade"/> deletes them
    /// too; their budgets and the integration's go with them.
    /// </summary>
    public async Task<IReadOnlyList<VirtualKeyRecord>> DeleteAsync(
        IntegrationRecord integration, bool cascade, CancellationToken cancellationToken)
    {
        IReadOnlyList<VirtualKeyRecord> users = await store.ListProvidersOfIntegrationAsync(integration.Id, cancellationToken);
        if (users.Count > 0 && !cascade)
        {
            throw AdminProblem.Conflict(
                $"Integration '{integration.Slug}' is used by {users.Count} provider(s) " +
                $"({string.Join(", ", users.Take(5).Select(u => u.Slug))}); delete them first or pass ?cascade=true.");
        }

        if (!await store.DeleteIntegrationAsync(integration.Id, cancellationToken))
        {
            throw AdminProblem.NotFound($"Integration '{integration.Slug}'");
        }

        virtualKeys.Invalidate();
        foreach (VirtualKeyRecord provider in users)
        {
            await ledger.RemoveAsync(BudgetOwner.ForVirtualKey(provider.Id, provider.Slug), cancellationToken);
        }

        foreach (IntegrationGrant grant in integration.Grants)
        {
            await ledger.RemoveAsync(
                BudgetOwner.ForIntegration(integration.Id, integration.Slug, grant.WorkspaceId), cancellationToken);
        }

        return users;
    }

    // Read, change, compare-and-set; a concurrent change is re-read and the change applied again.
    // The providers in newProviders, which change may fill, are stored in the same transaction.
    private async Task<IntegrationRecord> ChangeAsync(
        string slug, Func<IntegrationRecord, List<SealedSecret>, IntegrationRecord> change,
        CancellationToken cancellationToken, IReadOnlyList<VirtualKeyRecord>? newProviders = null)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            IntegrationRecord current = await store.GetIntegrationAsync(slug, cancellationToken)
                ?? throw AdminProblem.NotFound($"Integration '{slug}'");
            var secrets = new List<SealedSecret>();
            DateTimeOffset now = time.GetUtcNow();
            IntegrationRecord next = change(current, secrets) with
            {
                UpdatedAt = now > current.UpdatedAt ? now : current.UpdatedAt.AddTicks(1),
            };
            if (await store.UpdateIntegrationAsync(next, secrets, current.UpdatedAt, cancellationToken, newProviders))
            {
                virtualKeys.Invalidate();
                return next;
            }
        }

        throw AdminProblem.Conflict($"Integration '{slug}' kept changing under this update; try again.");
    }

    private IntegrationRecord ApplyKey(IntegrationRecord record, string key, List<SealedSecret> secrets)
    {
        SecretValueRules.ProviderKey(key);
        string id = record.SecretId ?? Guid.CreateVersion7().ToString();
        secrets.Add(vault.Seal(id, SecretPurpose.IntegrationKey, record.SecretWorkspace, key));
        return record with { SecretId = id, KeyMask = SecretValue.MaskOf(key) };
    }

    // The whole configuration (it replaces the stored one): host, Azure, OpenAI organisation and project, and custom
    // headers (sealed).
    private IntegrationRecord ApplyConfigurations(IntegrationRecord record, IntegrationInput input, List<SealedSecret> secrets)
    {
        // 1. Fields of one provider only: azure_* for azure-openai, openai_* for openai.
        bool azure = record.AiProviderId == AzureConfig.ProviderId;
        foreach (string field in input.ProviderFields)
        {
            string owner = field.StartsWith("azure_", StringComparison.Ordinal) ? AzureConfig.ProviderId : "openai";
            if (record.AiProviderId != owner)
            {
                throw AdminProblem.Validation(
                    $"configurations.{field} is for {owner} integrations, not for '{record.AiProviderId}'.");
            }
        }

        // 2. Host, Azure and the headers (sealed as one secret).
        string? host = input.CustomHost is null ? null : CustomHostRules.Normalize(input.CustomHost);
        AzureConfig? azureConfig = azure ? AzureConfigRules.Validate(input.Azure, host is not null) : null;
        if (host is null && !azure && providers.BaseUrlOf(record.AiProviderId) is null)
        {
            throw AdminProblem.Validation(
                $"Provider '{record.AiProviderId}' is self-hosted: set configurations.custom_host to its base URL (with /v1).");
        }

        string? organization = OptionalHeaderValue(input.OpenAiOrganization, "openai_organization");
        string? project = OptionalHeaderValue(input.OpenAiProject, "openai_project");
        var headers = new Dictionary<string, string>(
            input.CustomHeaders is null ? [] : CustomHeaderRules.Validate(input.CustomHeaders), StringComparer.OrdinalIgnoreCase);
        if (organization is not null)
        {
            headers["OpenAI-Organization"] = organization;
        }

        if (project is not null)
        {
            headers["OpenAI-Project"] = project;
        }

        string? headersId = null;
        if (headers.Count > 0)
        {
            headersId = record.CustomHeadersSecretId ?? Guid.CreateVersion7().ToString();
            secrets.Add(vault.Seal(headersId, SecretPurpose.IntegrationHeaders, record.SecretWorkspace, JsonSerializer.Serialize(headers)));
        }

        return record with
        {
            CustomHost = host,
            Azure = azureConfig,
            OpenAiOrganization = organization,
            OpenAiProject = project,
            CustomHeaderNames = input.CustomHeaders?.Keys.ToArray() ?? [],
            CustomHeadersSecretId = headersId,
        };
    }

    private static string? OptionalHeaderValue(string? value, string field) =>
        value is null || (value.Length <= 200 && value.All(c => c is > ' ' and <= '~'))
            ? value
            : throw AdminProblem.Validation($"configurations.{field} must be up to 200 visible ASCII characters.");

    private static string? Description(string? value) =>
        value is null || (value.Length <= 2000 && !value.Any(c => char.IsControl(c) && c is not '\n' and not '\t'))
            ? value
            : throw AdminProblem.Validation("description must be up to 2000 characters without control characters.");

    /// <summary>A slug given by the admin: Portkey's pattern <c>^[a-zA-Z0-9_-]+$</c>, at most 100 characters.</summary>
    public static string RequireSlug(string slug) =>
        IsSlug(slug)
            ? slug
            : throw AdminProblem.Validation("slug must match ^[a-zA-Z0-9_-]+$ (at most 100 characters).");

    /// <summary>Whether <paramref name="slug"/> is one Portcullis accepts for integrations and providers.</summary>
    public static bool IsSlug(string slug) => slug.Length <= 100 && SlugPattern().IsMatch(slug);

    private string RequireProvider(string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            throw AdminProblem.Validation("ai_provider_id is required, for example 'openai'.");
        }

        return providers.IsKnown(provider)
            ? providers.Canonical(provider)
            : throw AdminProblem.Validation(
                $"Provider '{provider}' is not supported yet; supported: {string.Join(", ", providers.Ids)}.");
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]+$")]
    private static partial Regex SlugPattern();
}
