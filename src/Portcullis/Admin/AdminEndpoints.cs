using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.ApiKeys;
using Portcullis.Audit;
using Portcullis.Budgets;
using Portcullis.Limits;
using Portcullis.Storage;
using Portcullis.Vault;
using Portcullis.VirtualKeys;
using Portcullis.Workspaces;

namespace Portcullis.Admin;

/// <summary>
/// The control plane under <c>/v1</c>, with Portkey's paths and field names. Every route declares the scope it
/// needs; the filter authenticates the admin key and turns <see cref="AdminProblem"/> into JSON.
/// </summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder v1 = app.MapGroup("/v1");

        v1.MapPost("/virtual-keys", CreateVirtualKey).WithScope(Scopes.VirtualKeysCreate);
        v1.MapGet("/virtual-keys", ListVirtualKeys).WithScope(Scopes.VirtualKeysList);
        v1.MapGet("/virtual-keys/{slug}", GetVirtualKey).WithScope(Scopes.VirtualKeysRead);
        v1.MapPut("/virtual-keys/{slug}", UpdateVirtualKey).WithScope(Scopes.VirtualKeysUpdate);
        v1.MapDelete("/virtual-keys/{slug}", DeleteVirtualKey).WithScope(Scopes.VirtualKeysDelete);

        v1.MapPost("/api-keys/{type}/{subType}", CreateApiKey).WithScope(Scopes.ApiKeysCreate);
        v1.MapGet("/api-keys", ListApiKeys).WithScope(Scopes.ApiKeysList);
        v1.MapGet("/api-keys/{id}", GetApiKey).WithScope(Scopes.ApiKeysRead);
        v1.MapPut("/api-keys/{id}", UpdateApiKey).WithScope(Scopes.ApiKeysUpdate);
        v1.MapDelete("/api-keys/{id}", DeleteApiKey).WithScope(Scopes.ApiKeysDelete);
        ApiKeyRotationEndpoint.Map(v1);

        v1.MapGet("/logs", ListLogs).WithScope(Scopes.LogsList);
        v1.MapGet("/audit-logs", ListAudit).WithScope(Scopes.AuditLogsList, organisationOnly: true);
        UsageEndpoints.Map(v1);
        v1.MapGet("/admin/vault", VaultStatus).WithScope(Scopes.VaultManage, organisationOnly: true);
        v1.MapPost("/admin/vault/rotate-master-key", RotateMasterKey).WithScope(Scopes.VaultManage, organisationOnly: true);
        v1.MapPricing();
        v1.MapWorkspaces();
        v1.MapIntegrations();
        v1.MapProviders();
    }

    private static async Task<IResult> CreateVirtualKey(
        HttpContext context, VirtualKeyService keys, WorkspaceAccess access, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        Caller actor = context.Actor();
        string workspace = await access.TargetWorkspaceAsync(actor, AdminJson.String(body, "workspace_id"), cancellationToken);
        if (AdminJson.String(body, "share_key_with") is { } sharedSlug &&
            await keys.GetAsync(sharedSlug, cancellationToken) is { } shared)
        {
            // Another workspace's key is answered as if it did not exist; a reachable one must be in the same workspace.
            if (!WorkspaceAccess.CanSee(actor, shared))
            {
                throw AdminProblem.Validation($"share_key_with: virtual key '{sharedSlug}' does not exist.");
            }

            if (shared.WorkspaceId != workspace)
            {
                throw AdminProblem.Validation($"share_key_with: virtual key '{sharedSlug}' is in another workspace.");
            }
        }

        VirtualKeyRecord record = await keys.CreateAsync(ReadInput(body, workspace), cancellationToken);
        await ledger.ConfigureAsync(
            BudgetOwner.ForVirtualKey(record.Id, record.Slug), record.UsageLimits, resetUsage: false, cancellationToken);
        await audit.RecordAsync(context.Actor().KeyId, "virtual_key.create", "virtual-key", record.Slug,
            AdminJson.FieldsChanged(body), cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["success"] = true,
            ["data"] = new { slug = record.Slug, id = record.Id },
            ["id"] = record.Id,
            ["slug"] = record.Slug,
            ["object"] = "virtual-key",
        });
    }

    private static async Task<IResult> ListVirtualKeys(
        HttpContext context, IGatewayStore store, WorkspaceAccess access, IUsageLedger ledger,
        CancellationToken cancellationToken)
    {
        (int offset, int limit) = AdminJson.Paging(context.Request);
        string? workspace = await access.ListScopeAsync(
            context.Actor(), RequestLogQuery.Value(context.Request, "workspace_id"), cancellationToken);
        return Results.Json(await AdminJson.ListAsync(
            await store.ListVirtualKeysAsync(workspace, offset, limit, cancellationToken),
            async r => AdminJson.VirtualKey(r, await LimitsView.StatusesOfAsync(r, ledger, cancellationToken))));
    }

    private static async Task<IResult> GetVirtualKey(
        string slug, HttpContext context, VirtualKeyService keys, IUsageLedger ledger, CancellationToken cancellationToken) =>
        await VirtualKeyJsonAsync(await ReachableVirtualKeyAsync(context.Actor(), slug, keys, cancellationToken), ledger,
            cancellationToken);

    // A virtual key of a workspace the caller cannot reach answers exactly as an unknown slug.
    private static async Task<VirtualKeyRecord> ReachableVirtualKeyAsync(
        Caller actor, string slug, VirtualKeyService keys, CancellationToken cancellationToken) =>
        await keys.GetAsync(slug, cancellationToken) is { } record && WorkspaceAccess.CanSee(actor, record)
            ? record
            : throw AdminProblem.NotFound($"Virtual key '{slug}'");

    // An API key the caller may not see (another workspace's, or an organisation key) answers as an unknown id.
    private static async Task<ApiKeyRecord> VisibleApiKeyAsync(
        Caller actor, string id, IGatewayStore store, CancellationToken cancellationToken) =>
        await store.GetApiKeyAsync(id, cancellationToken) is { } record && WorkspaceAccess.CanSee(actor, record)
            ? record
            : throw AdminProblem.NotFound($"API key '{id}'");

    private static async Task<IResult> UpdateVirtualKey(
        string slug, HttpContext context, VirtualKeyService keys, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        await ReachableVirtualKeyAsync(context.Actor(), slug, keys, cancellationToken);
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        bool resetUsage = LimitsInput.ResetUsage(body);
        VirtualKeyRecord record = await keys.UpdateAsync(slug, ReadInput(body), cancellationToken);
        await ledger.ConfigureAsync(
            BudgetOwner.ForVirtualKey(record.Id, record.Slug), record.UsageLimits, resetUsage, cancellationToken);
        string action = AdminJson.Has(body, "key") ? "virtual_key.rotate" : "virtual_key.update";
        await audit.RecordAsync(context.Actor().KeyId, action, "virtual-key", slug, AdminJson.FieldsChanged(body), cancellationToken);
        return await VirtualKeyJsonAsync(record, ledger, cancellationToken);
    }

    private static async Task<IResult> DeleteVirtualKey(
        string slug, HttpContext context, VirtualKeyService keys, Pricing.PricingCatalog pricing, IUsageLedger ledger,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        VirtualKeyRecord existing = await ReachableVirtualKeyAsync(context.Actor(), slug, keys, cancellationToken);
        if (!await keys.DeleteAsync(slug, cancellationToken))
        {
            throw AdminProblem.NotFound($"Virtual key '{slug}'");
        }

        // The key's prices went with it in the same transaction; the catalog forgets them too.
        await pricing.ReloadAsync(cancellationToken);
        await ledger.RemoveAsync(BudgetOwner.ForVirtualKey(existing.Id, existing.Slug), cancellationToken);

        await audit.RecordAsync(context.Actor().KeyId, "virtual_key.delete", "virtual-key", slug, null, cancellationToken);
        return Results.Json(new { success = true, @object = "virtual-key", slug, deleted = true });
    }

    private static async Task<IResult> CreateApiKey(
        string type, string subType, HttpContext context, ApiKeyService apiKeys, WorkspaceAccess access,
        IUsageLedger ledger, AuditTrail audit, CancellationToken cancellationToken)
    {
        string kind = $"{type}-{subType}";
        if (!ApiKeyService.Types.Contains(kind))
        {
            throw AdminProblem.Validation("The path is /v1/api-keys/{organisation|workspace}/{service|user}.");
        }

        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        string name = AdminJson.Name(AdminJson.String(body, "name"));
        IReadOnlyList<string> scopes = ValidScopes(AdminJson.StringList(body, "scopes")
            ?? throw AdminProblem.Validation("scopes is required, for example [\"completions.write\"]."));
        if (scopes.Count == 0)
        {
            throw AdminProblem.Validation("scopes must name at least one scope.");
        }
        Caller actor = context.Actor();
        RequireGrantable(actor, scopes);
        KeyBounds.RequireUnmetered(actor);

        // Workspace keys make workspace keys in their own workspace; organisation keys belong to the organisation,
        // which Portcullis files under the default workspace.
        bool workspaceKind = WorkspaceAccess.IsWorkspaceType(kind);
        if (!workspaceKind && !actor.IsOrganisation)
        {
            throw new AdminProblem(403, "AB03", "Only organisation keys may create organisation keys.");
        }

        string workspace = workspaceKind
            ? await access.TargetWorkspaceAsync(actor, AdminJson.String(body, "workspace_id"), cancellationToken)
            : WorkspaceService.DefaultId;
        IReadOnlyList<UsageLimit> usageLimits = LimitsInput.UsageLimits(body) ?? [];
        IReadOnlyList<RateLimit> rateLimits = LimitsInput.RateLimits(body) ?? [];
        ApiKeyAllowLists allowed = KeyBounds.Within(actor, ApiKeyAllowListsInput.Read(body));
        DateTimeOffset? expiresAt = KeyBounds.Within(actor, AdminJson.Time(body, "expires_at"));

        (ApiKeyRecord record, string key) = await apiKeys.CreateAsync(
            name, kind, scopes, AdminJson.String(body, "description"), workspace, expiresAt, cancellationToken,
            limits: (usageLimits, rateLimits), allowed: allowed);
        await ledger.ConfigureAsync(BudgetOwner.ForApiKey(record.Id), usageLimits, resetUsage: false, cancellationToken);
        await audit.RecordAsync(actor.KeyId, "api_key.create", "api-key", record.Id, AdminJson.FieldsChanged(body), cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["id"] = record.Id,
            ["key"] = key,
            ["object"] = "api-key",
            ["name"] = record.Name,
            ["type"] = record.Type,
            ["scopes"] = record.Scopes,
        });
    }

    private static async Task<IResult> ListApiKeys(
        HttpContext context, IGatewayStore store, WorkspaceAccess access, IUsageLedger ledger,
        CancellationToken cancellationToken)
    {
        (int offset, int limit) = AdminJson.Paging(context.Request);
        Caller actor = context.Actor();
        string? workspace = await access.ListScopeAsync(
            actor, RequestLogQuery.Value(context.Request, "workspace_id"), cancellationToken);
        Page<ApiKeyRecord> page = await store.ListApiKeysAsync(
            workspace, workspaceTypesOnly: !actor.IsOrganisation, offset, limit, cancellationToken);
        return Results.Json(await AdminJson.ListAsync(page,
            async r => AdminJson.ApiKey(r, await LimitsView.StatusesOfAsync(r, ledger, cancellationToken))));
    }

    private static async Task<IResult> GetApiKey(
        string id, HttpContext context, IGatewayStore store, IUsageLedger ledger, CancellationToken cancellationToken) =>
        await ApiKeyJsonAsync(await VisibleApiKeyAsync(context.Actor(), id, store, cancellationToken), ledger,
            cancellationToken);

    private static async Task<IResult> UpdateApiKey(
        string id, HttpContext context, IGatewayStore store, ApiKeyService apiKeys, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        await VisibleApiKeyAsync(actor, id, store, cancellationToken);
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        IReadOnlyList<UsageLimit>? usageLimits = LimitsInput.UsageLimits(body);
        IReadOnlyList<RateLimit>? rateLimits = LimitsInput.RateLimits(body);
        bool resetUsage = LimitsInput.ResetUsage(body);
        Func<ApiKeyAllowLists, ApiKeyAllowLists> allowedChange = ApiKeyAllowListsInput.Change(body);
        string? name = AdminJson.String(body, "name") is { } given ? AdminJson.Name(given) : null;

        IReadOnlyList<string>? scopes = AdminJson.StringList(body, "scopes") is { } listed ? ValidScopes(listed) : null;
        if (scopes is { Count: 0 })
        {
            throw AdminProblem.Validation("scopes must name at least one scope.");
        }

        // "exhausted" is derived from the budgets: a key read and sent back unchanged keeps its status.
        string? status = AdminJson.String(body, "status") is "exhausted" ? null : AdminJson.String(body, "status");
        if (status is not null and not ("active" or "disabled"))
        {
            throw AdminProblem.Validation("status must be 'active' or 'disabled'.");
        }

        bool descriptionGiven = AdminJson.Has(body, "description");
        string? description = AdminJson.String(body, "description");
        bool expiresGiven = AdminJson.Has(body, "expires_at");
        DateTimeOffset? expires = AdminJson.Time(body, "expires_at");
        if (scopes is not null)
        {
            RequireGrantable(actor, scopes);
        }

        // Only name and description may be changed by a key that is itself metered, or on the key itself.
        bool listsGiven = AdminJson.Has(body, "allowed_virtual_keys") || AdminJson.Has(body, "allowed_models");
        bool changesBounds = scopes is not null || status is not null || expiresGiven || usageLimits is not null ||
            rateLimits is not null || resetUsage || listsGiven;
        if (changesBounds)
        {
            KeyBounds.RequireUnmetered(actor);
        }

        expires = expiresGiven ? KeyBounds.Within(actor, expires) : expires;

        // Changes that can take away an admin run one at a time, with the last-admin check inside, so two admins
        // cannot disable each other at the same moment.
        bool mayRemoveAdmin = status == "disabled" || expires is not null || (scopes is not null && !scopes.Contains(Scopes.All));
        ApiKeyRecord updated;
        await apiKeys.AdminChanges.WaitAsync(cancellationToken);
        try
        {
            if (mayRemoveAdmin)
            {
                await RequireAnotherAdminAsync(store, apiKeys, id, cancellationToken);
            }

            updated = await apiKeys.UpdateAsync(id, current =>
            {
                RequireOutranks(actor, current);
                KeyBounds.RequireNotSelf(actor, current, changesBounds);
                ApiKeyRecord next = current;
                next = name is null ? next : next with { Name = name };
                next = descriptionGiven ? next with { Description = description } : next;
                next = scopes is null ? next : next with { Scopes = scopes };
                next = status is null ? next : next with { Status = status };
                next = usageLimits is null ? next : next with { UsageLimits = usageLimits };
                next = rateLimits is null ? next : next with { RateLimits = rateLimits };
                ApiKeyAllowLists allowed = allowedChange(new(next.AllowedVirtualKeys, next.AllowedModels));
                allowed = listsGiven ? KeyBounds.Within(actor, allowed) : allowed;
                next = next with { AllowedVirtualKeys = allowed.VirtualKeys, AllowedModels = allowed.Models };
                return expiresGiven ? next with { ExpiresAt = expires } : next;
            }, cancellationToken) ?? throw AdminProblem.NotFound($"API key '{id}'");
        }
        finally
        {
            apiKeys.AdminChanges.Release();
        }

        await ledger.ConfigureAsync(BudgetOwner.ForApiKey(id), updated.UsageLimits, resetUsage, cancellationToken);
        await audit.RecordAsync(actor.KeyId, "api_key.update", "api-key", id, AdminJson.FieldsChanged(body), cancellationToken);
        return await ApiKeyJsonAsync(updated, ledger, cancellationToken);
    }

    private static async Task<IResult> DeleteApiKey(
        string id, HttpContext context, IGatewayStore store, ApiKeyService apiKeys, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller actor = context.Actor();
        if (id == actor.KeyId)
        {
            throw AdminProblem.Conflict("An API key cannot delete itself; use another admin key.");
        }

        await apiKeys.AdminChanges.WaitAsync(cancellationToken);
        try
        {
            ApiKeyRecord target = await VisibleApiKeyAsync(actor, id, store, cancellationToken);
            RequireOutranks(actor, target);
            await RequireAnotherAdminAsync(store, apiKeys, id, cancellationToken);
            if (!await apiKeys.DeleteAsync(id, cancellationToken))
            {
                throw AdminProblem.NotFound($"API key '{id}'");
            }
        }
        finally
        {
            apiKeys.AdminChanges.Release();
        }

        await ledger.RemoveAsync(BudgetOwner.ForApiKey(id), cancellationToken);
        await audit.RecordAsync(actor.KeyId, "api_key.delete", "api-key", id, null, cancellationToken);
        return Results.Json(new { success = true, @object = "api-key", id, deleted = true });
    }

    private static async Task<IResult> VirtualKeyJsonAsync(
        VirtualKeyRecord record, IUsageLedger ledger, CancellationToken cancellationToken) =>
        Results.Json(AdminJson.VirtualKey(record, await LimitsView.StatusesOfAsync(record, ledger, cancellationToken)));

    private static async Task<IResult> ApiKeyJsonAsync(
        ApiKeyRecord record, IUsageLedger ledger, CancellationToken cancellationToken) =>
        Results.Json(AdminJson.ApiKey(record, await LimitsView.StatusesOfAsync(record, ledger, cancellationToken)));

    // A key may change or delete only keys whose every scope it holds itself.
    internal static void RequireOutranks(Caller actor, ApiKeyRecord target)
    {
        foreach (string scope in target.Scopes)
        {
            if (!actor.Has(scope))
            {
                throw new AdminProblem(403, "AB03", $"This key cannot change a key that holds scope '{scope}', which it lacks.");
            }
        }
    }

    // The last active organisation admin key ('*') cannot be disabled, demoted or deleted: nobody could manage the
    // gateway any more.
    private static async Task RequireAnotherAdminAsync(
        IGatewayStore store, ApiKeyService apiKeys, string id, CancellationToken cancellationToken)
    {
        ApiKeyRecord? target = await store.GetApiKeyAsync(id, cancellationToken);
        if (target is null || !apiKeys.IsWorkingAdmin(target))
        {
            return;
        }

        Page<ApiKeyRecord> all = await store.ListApiKeysAsync(0, 100_000, cancellationToken);
        // Another admin counts only when it does not expire: one that does would leave nobody once it has.
        if (!all.Items.Any(k => k.Id != id && apiKeys.IsWorkingAdmin(k) && k.ExpiresAt is null))
        {
            throw AdminProblem.Conflict(
                "This is the last active admin key ('*') without an expiry; create another before removing it.");
        }
    }

    private static async Task<IResult> ListLogs(
        HttpContext context, IGatewayStore store, WorkspaceAccess access, CancellationToken cancellationToken)
    {
        (int offset, int limit) = AdminJson.Paging(context.Request);
        RequestLogFilter filter = await RequestLogQuery.ReadScopedAsync(context.Request, context.Actor(), access, cancellationToken);
        return Results.Json(AdminJson.List(
            await store.ListRequestLogsAsync(filter, offset, limit, cancellationToken), AdminJson.RequestLog));
    }

    private static async Task<IResult> ListAudit(HttpContext context, IGatewayStore store, CancellationToken cancellationToken)
    {
        (int offset, int limit) = AdminJson.Paging(context.Request);
        return Results.Json(AdminJson.List(await store.ListAuditAsync(offset, limit, cancellationToken), AdminJson.Audit));
    }

    private static async Task<IResult> VaultStatus(VaultService vault, CancellationToken cancellationToken)
    {
        VaultStatus status = await vault.GetStatusAsync(cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["object"] = "vault",
            ["key_source"] = status.Source,
            ["active_version"] = status.ActiveVersion,
            ["versions"] = status.Versions.Select(v => new Dictionary<string, object?>
            {
                ["version"] = v.Number,
                ["created_at"] = v.CreatedAt,
                ["retired_at"] = v.RetiredAt,
                ["secrets"] = v.Secrets,
            }).ToArray(),
        });
    }

    private static async Task<IResult> RotateMasterKey(
        HttpContext context, VaultService vault, VirtualKeyService keys, AuditTrail audit, CancellationToken cancellationToken)
    {
        VaultRotationResult result;
        try
        {
            result = await vault.RotateAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw AdminProblem.Conflict(e.Message);
        }
        catch (VaultConfigurationException e)
        {
            throw AdminProblem.Validation(e.Message);
        }

        keys.Invalidate();
        await audit.RecordAsync(context.Actor().KeyId, "vault.rotate_master_key", "master-key",
            result.ActiveVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"re-wrapped {result.Rewrapped}; retired [{string.Join(",", result.RetiredVersions)}]", cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["success"] = true,
            ["previous_version"] = result.PreviousVersion,
            ["active_version"] = result.ActiveVersion,
            ["rewrapped"] = result.Rewrapped,
            ["retired_versions"] = result.RetiredVersions,
            ["unreadable"] = result.Unreadable,
        });
    }

    private static VirtualKeyInput ReadInput(JsonElement body, string? workspaceId = null) => new()
    {
        Name = AdminJson.String(body, "name"),
        Provider = AdminJson.String(body, "provider"),
        Key = AdminJson.String(body, "key"),
        Note = AdminJson.String(body, "note"),
        NoteGiven = AdminJson.Has(body, "note"),
        CustomHost = AdminJson.String(body, "custom_host"),
        CustomHostGiven = AdminJson.Has(body, "custom_host"),
        CustomHeaders = AdminJson.StringMap(body, "custom_headers"),
        ShareKeyWith = AdminJson.String(body, "share_key_with"),
        Status = AdminJson.String(body, "status"),
        ExpiresAt = AdminJson.Time(body, "expires_at"),
        ExpiresAtGiven = AdminJson.Has(body, "expires_at"),
        WorkspaceId = workspaceId,
        Azure = Providers.AzureConfigRules.Read(body),
        UsageLimits = LimitsInput.UsageLimits(body),
        RateLimits = LimitsInput.RateLimits(body),
    };

    // A key can hand out only what it holds itself, so no key can mint a more powerful one.
    private static void RequireGrantable(Caller actor, IReadOnlyList<string> scopes)
    {
        foreach (string scope in scopes)
        {
            if (!actor.Has(scope))
            {
                throw new AdminProblem(403, "AB03", $"You cannot grant scope '{scope}', which your own key lacks.");
            }
        }
    }

    private static IReadOnlyList<string> ValidScopes(IReadOnlyList<string> scopes)
    {
        scopes = scopes.Distinct(StringComparer.Ordinal).ToArray();
        foreach (string scope in scopes)
        {
            if (!Scopes.Known.Contains(scope))
            {
                throw AdminProblem.Validation($"Unknown scope '{scope}'.");
            }
        }

        return scopes;
    }
}
