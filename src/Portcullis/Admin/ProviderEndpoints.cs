using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.ApiKeys;
using Portcullis.Audit;
using Portcullis.Budgets;
using Portcullis.Catalog;
using Portcullis.Pricing;
using Portcullis.Storage;
using Portcullis.VirtualKeys;

namespace Portcullis.Admin;

/// <summary>
/// <c>/v1/providers</c>: integrations made usable in a workspace under a slug. Providers are rows of the virtual keys,
/// so classic virtual keys list here too (with <c>integration_id</c> null) and providers list under
/// <c>/v1/virtual-keys</c>.
/// </summary>
internal static class ProviderEndpoints
{
    public static void MapProviders(this RouteGroupBuilder v1)
    {
        v1.MapPost("/providers", Create).WithScope(Scopes.ProvidersCreate);
        v1.MapGet("/providers", List).WithScope(Scopes.ProvidersList);
        v1.MapGet("/providers/{slug}", Get).WithScope(Scopes.ProvidersRead);
        v1.MapPut("/providers/{slug}", Update).WithScope(Scopes.ProvidersUpdate);
        v1.MapDelete("/providers/{slug}", Delete).WithScope(Scopes.ProvidersDelete);
    }

    private static async Task<IResult> Create(
        HttpContext context, ProviderService providers, IntegrationService integrations, IUsageLedger ledger,
        AuditTrail audit, CancellationToken cancellationToken)
    {
        // 1. Read and check every field, and find the integration the caller may use.
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        string workspace = (await CatalogWorkspaces.SelectAsync(
            context, actor, AdminJson.String(body, "workspace_id"), Workspaces.WorkspaceService.DefaultId))!;
        string integrationSlug = AdminJson.String(body, "integration_id")
            ?? throw AdminProblem.Validation("integration_id is required: the slug of the integration to use.");
        var input = new ProviderService.CreateInput(
            AdminJson.String(body, "name"), AdminJson.String(body, "slug"), AdminJson.String(body, "note"),
            AdminJson.Time(body, "expires_at"), LimitsInput.UsageLimits(body) ?? [], LimitsInput.RateLimits(body) ?? []);
        IntegrationRecord? integration = await integrations.GetAsync(integrationSlug, cancellationToken);
        // To a workspace key, an integration that does not serve its workspace does not exist.
        if (integration is null || (integration.WorkspaceId is { } owner && !actor.CanReach(owner)) ||
            (!actor.IsOrganisation && !IntegrationAccess.IsUsableIn(integration, workspace)))
        {
            throw AdminProblem.NotFound($"Integration '{integrationSlug}'");
        }

        // 2. Store it, then its budgets.
        VirtualKeyRecord record = await providers.CreateAsync(integration, workspace, input, cancellationToken);
        await ledger.ConfigureAsync(
            BudgetOwner.ForVirtualKey(record.Id, record.Slug), record.UsageLimits, resetUsage: false, cancellationToken);
        await audit.RecordAsync(actor.KeyId, "provider.create", "provider", record.Slug, AdminJson.FieldsChanged(body), cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["id"] = record.Id,
            ["slug"] = record.Slug,
            ["object"] = "provider",
        });
    }

    private static async Task<IResult> List(
        HttpContext context, IGatewayStore store, IUsageLedger ledger, TimeProvider time,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        string? workspace = (string?)context.Request.Query["workspace_id"];
        if (workspace is not null)
        {
            await CatalogWorkspaces.RequireAsync(context, actor, workspace);
        }

        // NOTE: filtered in memory after reading every row; fine for thousands of keys, not for millions.
        Page<VirtualKeyRecord> rows = await store.ListVirtualKeysAsync(0, int.MaxValue, cancellationToken);
        VirtualKeyRecord[] visible = rows.Items
            .Where(r => actor.CanReach(r.WorkspaceId) && (workspace is null || r.WorkspaceId == workspace))
            .ToArray();
        Dictionary<string, string> slugs = await IntegrationSlugsAsync(store, cancellationToken);
        (int offset, int limit) = AdminJson.Paging(context.Request);
        var page = new Page<VirtualKeyRecord>(visible.Skip(offset).Take(limit).ToArray(), visible.Length);
        return Results.Json(await AdminJson.ListAsync(page, async r =>
            CatalogJson.Provider(r, IntegrationSlugOf(r, slugs), await LimitsView.StatusesOfAsync(r, ledger, cancellationToken),
                time.GetUtcNow())));
    }

    private static async Task<IResult> Get(
        string slug, HttpContext context, IGatewayStore store, IUsageLedger ledger, TimeProvider time,
        CancellationToken cancellationToken) =>
        await ProviderJsonAsync(await FindAsync(context.Actor(), slug, store, cancellationToken), store, ledger, time,
            cancellationToken);

    // Portkey's update fields: name, note, usage_limits, rate_limits, expires_at and reset_usage. What a provider is
    // (its integration, workspace, slug and provider) cannot change; sent back unchanged, as read, it is accepted.
    private static async Task<IResult> Update(
        string slug, HttpContext context, IGatewayStore store, VirtualKeyService keys, IUsageLedger ledger,
        AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        VirtualKeyRecord existing = await FindAsync(actor, slug, store, cancellationToken);
        string? integrationSlug = existing.IntegrationId is { } integrationId
            ? (await store.GetIntegrationByIdAsync(integrationId, cancellationToken))?.Slug
            : null;
        RequireUnchanged(body, "integration_id", integrationSlug);
        RequireUnchanged(body, "workspace_id", existing.WorkspaceId);
        RequireUnchanged(body, "slug", existing.Slug);
        RequireUnchanged(body, "ai_provider_id", existing.Provider);
        if (AdminJson.Has(body, "key"))
        {
            throw AdminProblem.Validation(
                "A provider holds no key of its own: change the key of its integration (PUT /v1/integrations/{slug}).");
        }

        bool resetUsage = LimitsInput.ResetUsage(body);
        var input = new VirtualKeyInput
        {
            Name = AdminJson.String(body, "name"),
            Note = AdminJson.String(body, "note"),
            NoteGiven = AdminJson.Has(body, "note"),
            ExpiresAt = AdminJson.Time(body, "expires_at"),
            ExpiresAtGiven = AdminJson.Has(body, "expires_at"),
            UsageLimits = LimitsInput.UsageLimits(body),
            RateLimits = LimitsInput.RateLimits(body),
        };
        VirtualKeyRecord record = await keys.UpdateAsync(slug, input, cancellationToken);
        await ledger.ConfigureAsync(
            BudgetOwner.ForVirtualKey(record.Id, record.Slug), record.UsageLimits, resetUsage, cancellationToken);
        await audit.RecordAsync(actor.KeyId, "provider.update", "provider", slug, AdminJson.FieldsChanged(body), cancellationToken);
        return await ProviderJsonAsync(record, store, ledger, time, cancellationToken);
    }

    private static async Task<IResult> Delete(
        string slug, HttpContext context, IGatewayStore store, VirtualKeyService keys, PricingCatalog pricing,
        IUsageLedger ledger, AuditTrail audit, CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        VirtualKeyRecord existing = await FindAsync(actor, slug, store, cancellationToken);
        if (!await keys.DeleteAsync(slug, cancellationToken))
        {
            throw AdminProblem.NotFound($"Provider '{slug}'");
        }

        await pricing.ReloadAsync(cancellationToken);
        await ledger.RemoveAsync(BudgetOwner.ForVirtualKey(existing.Id, existing.Slug), cancellationToken);
        await audit.RecordAsync(actor.KeyId, "provider.delete", "provider", slug, null, cancellationToken);
        return Results.Json(new { success = true, @object = "provider", slug, deleted = true });
    }

    // A field that says what the provider is: absent, or the value it already has; anything else is refused rather
    // than ignored, so an answer of 200 never hides a change that did not happen.
    private static void RequireUnchanged(JsonElement body, string field, string? current)
    {
        if (AdminJson.Has(body, field) && AdminJson.String(body, field) != current)
        {
            throw AdminProblem.Validation(
                $"{field} of a provider cannot be changed; create a new provider instead (sending the current value " +
                "back is accepted).");
        }
    }

    // A provider in a workspace the caller cannot reach answers as an unknown one.
    private static async Task<VirtualKeyRecord> FindAsync(
        Caller actor, string slug, IGatewayStore store, CancellationToken cancellationToken)
    {
        VirtualKeyRecord? record = await store.GetVirtualKeyAsync(slug, cancellationToken);
        return record is not null && actor.CanReach(record.WorkspaceId)
            ? record
            : throw AdminProblem.NotFound($"Provider '{slug}'");
    }

    private static async Task<IResult> ProviderJsonAsync(
        VirtualKeyRecord record, IGatewayStore store, IUsageLedger ledger, TimeProvider time,
        CancellationToken cancellationToken)
    {
        string? integrationSlug = record.IntegrationId is { } id
            ? (await store.GetIntegrationByIdAsync(id, cancellationToken))?.Slug
            : null;
        return Results.Json(CatalogJson.Provider(
            record, integrationSlug, await LimitsView.StatusesOfAsync(record, ledger, cancellationToken), time.GetUtcNow()));
    }

    private static async Task<Dictionary<string, string>> IntegrationSlugsAsync(
        IGatewayStore store, CancellationToken cancellationToken) =>
        (await store.ListIntegrationsAsync(cancellationToken)).ToDictionary(i => i.Id, i => i.Slug, StringComparer.Ordinal);

    private static string? IntegrationSlugOf(VirtualKeyRecord record, Dictionary<string, string> slugs) =>
        record.IntegrationId is { } id && slugs.TryGetValue(id, out string? slug) ? slug : null;
}
