using Microsoft.Data.Sqlite;
using Portcullis.Admin;
using Portcullis.Limits;
using Portcullis.Storage;
using Portcullis.VirtualKeys;

namespace Portcullis.Catalog;

/// <summary>
/// Providers: an integration made usable in one workspace under a slug. A provider is a row of the virtual keys
/// (same slug namespace, same budgets and rate limits) that names its integration instead of holding a secret.
/// </summary>
internal sealed class ProviderService(IGatewayStore store, VirtualKeyService virtualKeys, TimeProvider time)
{
    /// <summary>The fields of <c>POST /v1/providers</c> once read.</summary>
    public sealed record CreateInput(
        string? Name, string? Slug, string? Note, DateTimeOffset? ExpiresAt, IReadOnlyList<UsageLimit> UsageLimits,
        IReadOnlyList<RateLimit> RateLimits);

    /// <summary>
    /// Makes <paramref name="integration"/> usable in <paramref name="workspaceId"/>. The integration must serve that
    /// workspace (its own, enabled for it, or global access).
    /// </summary>
    public async Task<VirtualKeyRecord> CreateAsync(
        IntegrationRecord integration, string workspaceId, CreateInput input, CancellationToken cancellationToken)
    {
        // 1. Validate before anything is stored.
        VirtualKeyRecord record = Draft(integration, workspaceId, input);
        if (await store.GetVirtualKeyAsync(record.Slug, cancellationToken) is not null)
        {
            throw SlugTaken(record.Slug);
        }

        // 2. The row: no secret of its own; the integration's key mask is shown.
        try
        {
            await store.CreateVirtualKeyAsync(record, [], record.CreatedAt, cancellationToken);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw SlugTaken(record.Slug);
        }

        virtualKeys.Invalidate();
        return record;
    }

    /// <summary>
    /// The integration's default provider in <paramref name="workspaceId"/>, not stored: named after the integration,
    /// under <paramref name="slug"/>, without limits of its own (the integration's grant still applies).
    /// </summary>
    public VirtualKeyRecord DraftDefault(IntegrationRecord integration, string workspaceId, string slug) =>
        Draft(integration, workspaceId, new CreateInput(integration.Name, slug, null, null, [], []));

    /// <summary>The 409 for a provider slug already held by a provider or virtual key (one namespace).</summary>
    public static AdminProblem SlugTaken(string slug) =>
        AdminProblem.Conflict($"The slug '{slug}' is taken by another provider or virtual key.");

    // Checks everything that needs no lookup, and builds the row: no secret of its own; the integration's key mask.
    private VirtualKeyRecord Draft(IntegrationRecord integration, string workspaceId, CreateInput input)
    {
        string name = AdminJson.Name(input.Name);
        if (integration.Status != "active")
        {
            throw AdminProblem.Validation($"Integration '{integration.Slug}' is archived.");
        }

        if (!IntegrationAccess.IsUsableIn(integration, workspaceId))
        {
            throw AdminProblem.Validation(
                $"Integration '{integration.Slug}' is not enabled for workspace '{workspaceId}'; grant it with " +
                $"PUT /v1/integrations/{integration.Slug}/workspaces.");
        }

        string slug = input.Slug is null ? SlugGenerator.FromName(name) : IntegrationService.RequireSlug(input.Slug);
        DateTimeOffset now = time.GetUtcNow();
        return new VirtualKeyRecord
        {
            Id = Guid.CreateVersion7().ToString(),
            Slug = slug,
            WorkspaceId = workspaceId,
            Name = name,
            Provider = integration.AiProviderId,
            Note = input.Note,
            Status = "active",
            KeyMask = integration.KeyMask,
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = input.ExpiresAt,
            UsageLimits = input.UsageLimits,
            RateLimits = input.RateLimits,
            IntegrationId = integration.Id,
        };
    }
}
