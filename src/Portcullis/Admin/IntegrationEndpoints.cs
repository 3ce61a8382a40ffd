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

namespace Portcullis.Admin;

/// <summary>
/// <c>/v1/integrations</c>: provider credentials held once, their model list and their workspace grants. Every route
/// needs the <c>workspace_integrations.*</c> scope it declares; an organisation-level integration needs, in addition,
/// an organisation key holding the matching <c>organisation_integrations.*</c> scope. A workspace key sees its own
/// workspace's integrations and reads the organisation's ones that serve its workspace.
/// </summary>
internal static class IntegrationEndpoints
{
    public static void MapIntegrations(this RouteGroupBuilder v1)
    {
        v1.MapPost("/integrations", Create).WithScope(Scopes.WorkspaceIntegrationsCreate);
        v1.MapGet("/integrations", List).WithScope(Scopes.WorkspaceIntegrationsList);
        v1.MapGet("/integrations/{slug}", Get).WithScope(Scopes.WorkspaceIntegrationsRead);
        v1.MapPut("/integrations/{slug}", Update).WithScope(Scopes.WorkspaceIntegrationsUpdate);
        v1.MapDelete("/integrations/{slug}", Delete).WithScope(Scopes.WorkspaceIntegrationsDelete);
        v1.MapGet("/integrations/{slug}/models", GetModels).WithScope(Scopes.WorkspaceIntegrationsRead);
        v1.MapPut("/integrations/{slug}/models", SetModels).WithScope(Scopes.WorkspaceIntegrationsUpdate);
        v1.MapDelete("/integrations/{slug}/models", DeleteModels).WithScope(Scopes.WorkspaceIntegrationsUpdate);
        v1.MapGet("/integrations/{slug}/workspaces", GetWorkspaces).WithScope(Scopes.WorkspaceIntegrationsRead);
        v1.MapPut("/integrations/{slug}/workspaces", SetWorkspaces).WithScope(Scopes.WorkspaceIntegrationsUpdate);
    }

    private static async Task<IResult> Create(
        HttpContext context, IntegrationService integrations, AuditTrail audit, CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        IntegrationInput input = IntegrationInput.Read(body);

        // Without workspace_id an organisation key makes an organisation-level integration, a workspace key one of
        // its own workspace.
        string? workspace = await CatalogWorkspaces.SelectAsync(context, actor, input.WorkspaceId, organisationDefault: null);
        if (workspace is null)
        {
            RequireOrganisation(actor, Scopes.OrganisationIntegrationsCreate);
        }

        IntegrationOutcome outcome = await integrations.CreateAsync(input, workspace, cancellationToken);
        IntegrationRecord record = outcome.Integration;
        await audit.RecordAsync(actor.KeyId, "integration.create", "integration", record.Slug, AdminJson.FieldsChanged(body),
            cancellationToken);
        await AuditDefaultsAsync(audit, actor, outcome, cancellationToken);

        // default_provider_slug: the provider made with it (null when none), so "@slug/model" works right away.
        return Results.Json(new Dictionary<string, object?>
        {
            ["id"] = record.Id,
            ["slug"] = record.Slug,
            ["object"] = "integration",
            ["default_provider_slug"] = outcome.DefaultProviders.FirstOrDefault()?.Slug,
        });
    }

    private static async Task<IResult> List(
        HttpContext context, IntegrationService integrations, CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        string type = (string?)context.Request.Query["type"] ?? "all";
        if (type is not ("all" or "workspace" or "organisation"))
        {
            throw AdminProblem.Validation("type must be workspace, organisation or all.");
        }

        string? workspace = (string?)context.Request.Query["workspace_id"];
        if (workspace is not null)
        {
            await CatalogWorkspaces.RequireAsync(context, actor, workspace);
        }

        bool organisationLister = actor.IsOrganisation && actor.Has(Scopes.OrganisationIntegrationsList);
        IEnumerable<IntegrationRecord> visible = (await integrations.ListAsync(cancellationToken)).Where(i =>
            i.WorkspaceId is { } owner
                ? type != "organisation" && actor.CanReach(owner) && (workspace is null || owner == workspace)
                : type != "workspace" && (organisationLister && workspace is null
                    ? true
                    : IntegrationAccess.IsUsableIn(i, workspace ?? actor.WorkspaceId)));
        (int offset, int limit) = AdminJson.Paging(context.Request);
        IntegrationRecord[] all = visible.ToArray();
        return Results.Json(AdminJson.List(new Page<IntegrationRecord>(all.Skip(offset).Take(limit).ToArray(), all.Length),
            CatalogJson.Integration));
    }

    private static async Task<IResult> Get(
        string slug, HttpContext context, IntegrationService integrations, CancellationToken cancellationToken) =>
        Results.Json(CatalogJson.Integration(
            await FindAsync(context.Actor(), slug, Scopes.OrganisationIntegrationsRead, integrations, cancellationToken)));

    private static async Task<IResult> Update(
        string slug, HttpContext context, IntegrationService integrations, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        await FindAsync(actor, slug, Scopes.OrganisationIntegrationsUpdate, integrations, cancellationToken);
        IntegrationRecord record = await integrations.UpdateAsync(slug, IntegrationInput.Read(body), cancellationToken);
        string action = AdminJson.Has(body, "key") ? "integration.rotate" : "integration.update";
        await audit.RecordAsync(actor.KeyId, action, "integration", slug, AdminJson.FieldsChanged(body), cancellationToken);
        return Results.Json(CatalogJson.Integration(record));
    }

    // ?cascade=true also deletes the providers made from the integration; without it, 409 while any exist.
    private static async Task<IResult> Delete(
        string slug, HttpContext context, IntegrationService integrations, PricingCatalog pricing, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        IntegrationRecord record =
            await FindAsync(actor, slug, Scopes.OrganisationIntegrationsDelete, integrations, cancellationToken);
        bool cascade = string.Equals(context.Request.Query["cascade"], "true", StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<VirtualKeyRecord> removed = await integrations.DeleteAsync(record, cascade, cancellationToken);
        if (removed.Count > 0)
        {
            await pricing.ReloadAsync(cancellationToken);
        }

        await audit.RecordAsync(actor.KeyId, "integration.delete", "integration", slug,
            removed.Count == 0 ? null : "providers: " + string.Join(",", removed.Select(p => p.Slug)), cancellationToken);
        return Results.Json(new { success = true, @object = "integration", slug, deleted = true });
    }

    private static async Task<IResult> GetModels(
        string slug, HttpContext context, IntegrationService integrations, CancellationToken cancellationToken) =>
        Results.Json(CatalogJson.Models(
            await FindAsync(context.Actor(), slug, Scopes.OrganisationIntegrationsRead, integrations, cancellationToken)));

    private static async Task<IResult> SetModels(
        string slug, HttpContext context, IntegrationService integrations, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        await FindAsync(actor, slug, Scopes.OrganisationIntegrationsUpdate, integrations, cancellationToken);
        bool? allowAll = body.TryGetProperty("allow_all_models", out JsonElement a) && a.ValueKind != JsonValueKind.Null
            ? a.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? a.GetBoolean()
                : throw AdminProblem.Validation("allow_all_models must be true or false.")
            : null;
        IReadOnlyList<IntegrationModelRules.ModelInput> models = IntegrationModelRules.ReadModels(body);
        if (models.Any(m => m.PriceGiven))
        {
            RequireOrganisationPricing(actor);
        }

        IntegrationRecord record = await integrations.SetModelsAsync(slug, allowAll, models, cancellationToken);
        await audit.RecordAsync(actor.KeyId, "integration.models.update", "integration", slug,
            $"allow_all_models: {record.AllowAllModels}; models: {string.Join(",", models.Select(m => m.Slug))}",
            cancellationToken);
        return Results.Json(CatalogJson.Models(record));
    }

    private static async Task<IResult> DeleteModels(
        string slug, HttpContext context, IntegrationService integrations, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        IntegrationRecord current =
            await FindAsync(actor, slug, Scopes.OrganisationIntegrationsUpdate, integrations, cancellationToken);
        string[] slugs = ((string?)context.Request.Query["slugs"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (slugs.Length == 0)
        {
            throw AdminProblem.Validation("slugs is required: ?slugs=model-a,model-b.");
        }

        if (current.Models.Any(m => slugs.Contains(m.Slug, StringComparer.Ordinal) && m.InputPerToken is not null))
        {
            RequireOrganisationPricing(actor);
        }

        IntegrationRecord record = await integrations.DeleteModelsAsync(slug, slugs.ToHashSet(StringComparer.Ordinal), cancellationToken);
        await audit.RecordAsync(actor.KeyId, "integration.models.delete", "integration", slug,
            "models: " + string.Join(",", slugs), cancellationToken);
        return Results.Json(CatalogJson.Models(record));
    }

    // A model's price decides what the budgets the organisation sets (the workspace's, the grant's) are charged.
    private static void RequireOrganisationPricing(Caller actor)
    {
        if (!actor.IsOrganisation)
        {
            throw new AdminProblem(403, "AB03",
                "Only organisation keys may set or remove a model's pricing_config: prices decide what budgets are charged.");
        }
    }

    private static async Task<IResult> GetWorkspaces(
        string slug, HttpContext context, IntegrationService integrations, IUsageLedger ledger,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        IntegrationRecord record =
            await FindAsync(actor, slug, Scopes.OrganisationIntegrationsRead, integrations, cancellationToken);

        // A workspace key sees its own workspace's grant (and global access), never another workspace's.
        if (!actor.IsOrganisation)
        {
            record = record with
            {
                Grants = record.Grants
                    .Where(g => g.WorkspaceId == IntegrationGrant.GlobalWorkspace || actor.CanReach(g.WorkspaceId))
                    .ToArray(),
            };
        }

        return Results.Json(await CatalogJson.WorkspacesAsync(
            record, ledger, cancellationToken, await ServedGloballyAsync(actor, record, integrations, cancellationToken)));
    }

    private static async Task<IResult> SetWorkspaces(
        string slug, HttpContext context, IntegrationService integrations, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        await FindAsync(actor, slug, Scopes.OrganisationIntegrationsUpdate, integrations, cancellationToken);
        IReadOnlyList<IntegrationGrantRules.GrantInput> grants = IntegrationGrantRules.ReadWorkspaces(body);
        foreach (IntegrationGrantRules.GrantInput grant in grants)
        {
            await CatalogWorkspaces.RequireAsync(context, actor, grant.WorkspaceId);
        }

        IntegrationGrantRules.GrantInput? global = IntegrationGrantRules.ReadGlobal(body);
        bool replace = body.TryGetProperty("override_existing_workspace_access", out JsonElement o) &&
            o.ValueKind == JsonValueKind.True;
        IntegrationOutcome outcome = await integrations.SetWorkspacesAsync(
            slug, grants, global, replace, IntegrationGrantRules.ReadDefaultProvider(body), cancellationToken);
        IntegrationRecord record = outcome.Integration;
        await audit.RecordAsync(actor.KeyId, "integration.workspaces.update", "integration", slug,
            "workspaces: " + string.Join(",", grants.Select(g => $"{g.WorkspaceId}={OnOff(record, g.WorkspaceId)}")) +
            (global is null ? "" : $"; global: {OnOff(record, IntegrationGrant.GlobalWorkspace)}"), cancellationToken);
        await AuditDefaultsAsync(audit, actor, outcome, cancellationToken);

        // The grants as read back, plus the default providers this call made ({workspace_id, slug}).
        Dictionary<string, object?> answer = await CatalogJson.WorkspacesAsync(
            record, ledger, cancellationToken, await ServedGloballyAsync(actor, record, integrations, cancellationToken));
        answer["default_providers"] = outcome.DefaultProviders
            .Select(p => new Dictionary<string, object?> { ["workspace_id"] = p.WorkspaceId, ["slug"] = p.Slug })
            .ToArray();
        return Results.Json(answer);
    }

    // The workspaces served through global access that the caller may see.
    private static async Task<IReadOnlyList<string>> ServedGloballyAsync(
        Caller actor, IntegrationRecord record, IntegrationService integrations, CancellationToken cancellationToken) =>
        (await integrations.WorkspacesUnderGlobalAccessAsync(record, cancellationToken)).Where(actor.CanReach).ToArray();

    // Each default provider is audited as a provider creation by the acting key, naming the integration it serves.
    private static async Task AuditDefaultsAsync(
        AuditTrail audit, Caller actor, IntegrationOutcome outcome, CancellationToken cancellationToken)
    {
        foreach (VirtualKeyRecord provider in outcome.DefaultProviders)
        {
            await audit.RecordAsync(actor.KeyId, "provider.create", "provider", provider.Slug,
                $"default provider of integration {outcome.Integration.Slug} in workspace {provider.WorkspaceId}",
                cancellationToken);
        }
    }

    /// <summary>
    /// The integration, when the caller may act on it with <paramref name="organisationScope"/>'s operation: a
    /// workspace integration in a workspace the caller reaches, or an organisation integration for an organisation
    /// key holding that scope. A workspace key may read an organisation integration that serves its workspace (403 for
    /// anything more); everything else answers 404, as for an unknown slug.
    /// </summary>
    private static async Task<IntegrationRecord> FindAsync(
        Caller actor, string slug, string organisationScope, IntegrationService integrations,
        CancellationToken cancellationToken)
    {
        IntegrationRecord? record = await integrations.GetAsync(slug, cancellationToken);
        if (record is null || (record.WorkspaceId is { } owner && !actor.CanReach(owner)))
        {
            throw AdminProblem.NotFound($"Integration '{slug}'");
        }

        if (record.WorkspaceId is not null || (actor.IsOrganisation && actor.Has(organisationScope)))
        {
            return record;
        }

        if (!actor.IsOrganisation && !IntegrationAccess.IsUsableIn(record, actor.WorkspaceId))
        {
            throw AdminProblem.NotFound($"Integration '{slug}'");
        }

        if (organisationScope == Scopes.OrganisationIntegrationsRead && !actor.IsOrganisation)
        {
            return record;
        }

        RequireOrganisation(actor, organisationScope);
        return record;
    }

    private static void RequireOrganisation(Caller actor, string scope)
    {
        if (!actor.IsOrganisation || !actor.Has(scope))
        {
            throw new AdminProblem(403, "AB03",
                $"Forbidden: organisation-level integrations need an organisation key with the {scope} scope.");
        }
    }

    // Whether a grant is on after the change: entries may leave enabled out and keep the stored value.
    private static string OnOff(IntegrationRecord record, string workspaceId) =>
        record.Grants.Any(g => g.WorkspaceId == workspaceId && g.Enabled) ? "on" : "off";
}
