using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.ApiKeys;
using Portcullis.Audit;
using Portcullis.Budgets;
using Portcullis.Pricing;
using Portcullis.Storage;
using Portcullis.VirtualKeys;
using Portcullis.Workspaces;

namespace Portcullis.Admin;

/// <summary>
/// <c>/v1/admin/workspaces</c> with Portkey's fields. Organisation keys create and delete workspaces; a workspace key
/// with the scope reads, lists and updates its own workspace only. <c>DELETE ...?force=true</c> deletes a workspace
/// together with the virtual keys, providers, API keys and integrations it holds (their budgets and prices too); without it,
/// such a workspace is refused with 409. Request logs always stay.
/// </summary>
internal static class WorkspaceEndpoints
{
    public static void MapWorkspaces(this RouteGroupBuilder v1)
    {
        v1.MapPost("/admin/workspaces", Create).WithScope(Scopes.WorkspacesCreate, organisationOnly: true);
        v1.MapGet("/admin/workspaces", List).WithScope(Scopes.WorkspacesList);
        v1.MapGet("/admin/workspaces/{workspaceId}", Get).WithScope(Scopes.WorkspacesRead);
        v1.MapPut("/admin/workspaces/{workspaceId}", Update).WithScope(Scopes.WorkspacesUpdate);
        v1.MapDelete("/admin/workspaces/{workspaceId}", Delete).WithScope(Scopes.WorkspacesDelete, organisationOnly: true);
    }

    private static async Task<IResult> Create(
        HttpContext context, WorkspaceService workspaces, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        var draft = new WorkspaceRecord
        {
            Id = "",
            Name = AdminJson.Name(AdminJson.String(body, "name")),
            Description = AdminJson.String(body, "description"),
            Metadata = Metadata(body),
            UsageLimits = LimitsInput.UsageLimits(body) ?? [],
            RateLimits = LimitsInput.RateLimits(body) ?? [],
            CreatedAt = default,
            UpdatedAt = default,
        };

        WorkspaceRecord record = await workspaces.CreateAsync(draft, cancellationToken);
        await ledger.ConfigureAsync(
            BudgetOwner.ForWorkspace(record.Id), record.UsageLimits, resetUsage: false, cancellationToken);
        await audit.RecordAsync(context.Actor().KeyId, "workspace.create", "workspace", record.Id, AdminJson.FieldsChanged(body),
            cancellationToken);
        return Results.Json(await ShapeAsync(record, ledger, cancellationToken));
    }

    private static async Task<IResult> List(
        HttpContext context, IGatewayStore store, IUsageLedger ledger, CancellationToken cancellationToken)
    {
        Caller caller = context.Actor();
        (int offset, int limit) = AdminJson.Paging(context.Request);
        string? name = RequestLogQuery.Value(context.Request, "name");
        Page<WorkspaceRecord> page = await store.ListWorkspacesAsync(
            caller.IsOrganisation ? null : caller.WorkspaceId, name, offset, limit, cancellationToken);
        return Results.Json(await AdminJson.ListAsync(page, r => ShapeAsync(r, ledger, cancellationToken)));
    }

    private static async Task<IResult> Get(
        string workspaceId, HttpContext context, WorkspaceService workspaces, IUsageLedger ledger,
        CancellationToken cancellationToken) =>
        Results.Json(await ShapeAsync(await ReachableAsync(context.Actor(), workspaceId, workspaces, cancellationToken),
            ledger, cancellationToken));

    private static async Task<IResult> Update(
        string workspaceId, HttpContext context, WorkspaceService workspaces, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller caller = context.Actor();
        await ReachableAsync(caller, workspaceId, workspaces, cancellationToken);

        // 1. Every field is read and checked before anything changes.
        JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
        string? name = AdminJson.String(body, "name") is { } given ? AdminJson.Name(given) : null;
        bool descriptionGiven = AdminJson.Has(body, "description");
        string? description = AdminJson.String(body, "description");
        bool metadataGiven = AdminJson.Has(body, "defaults");
        string? metadata = Metadata(body);
        IReadOnlyList<Limits.UsageLimit>? usageLimits = LimitsInput.UsageLimits(body);
        IReadOnlyList<Limits.RateLimit>? rateLimits = LimitsInput.RateLimits(body);
        bool resetUsage = LimitsInput.ResetUsage(body);
        if (!caller.IsOrganisation && (usageLimits is not null || rateLimits is not null || resetUsage ||
            AdminJson.Has(body, "usage_limits") || AdminJson.Has(body, "rate_limits")))
        {
            // The organisation sets a workspace's budgets and rate limits; the workspace's own keys cannot lift them.
            throw new AdminProblem(403, "AB03", "Only organisation keys may change a workspace's budgets or rate limits.");
        }

        string? status = AdminJson.String(body, "status");
        if (AdminJson.Has(body, "status") && status is not ("active" or "exhausted"))
        {
            throw AdminProblem.Validation("status cannot be set: a workspace is active, or exhausted while a budget is used up.");
        }

        // 2. Applied to the current record, retried when a concurrent change came first.
        WorkspaceRecord updated = await workspaces.UpdateAsync(workspaceId, current =>
        {
            WorkspaceRecord next = current;
            next = name is null ? next : next with { Name = name };
            next = descriptionGiven ? next with { Description = description } : next;
            next = metadataGiven ? next with { Metadata = metadata } : next;
            next = usageLimits is null ? next : next with { UsageLimits = usageLimits };
            return rateLimits is null ? next : next with { RateLimits = rateLimits };
        }, cancellationToken) ?? throw WorkspaceAccess.NotFound(workspaceId);

        await ledger.ConfigureAsync(
            BudgetOwner.ForWorkspace(updated.Id), updated.UsageLimits, resetUsage, cancellationToken);
        await audit.RecordAsync(caller.KeyId, "workspace.update", "workspace", workspaceId, AdminJson.FieldsChanged(body),
            cancellationToken);
        return Results.Json(await ShapeAsync(updated, ledger, cancellationToken));
    }

    private static async Task<IResult> Delete(
        string workspaceId, HttpContext context, WorkspaceService workspaces, VirtualKeyService virtualKeys,
        ApiKeyService apiKeys, PricingCatalog pricing, IUsageLedger ledger, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        Caller caller = context.Actor();
        // ?force=true, or {"force": true} in the body as Portkey's SDKs send it.
        bool? bodyForce = null;
        if (context.Request.ContentLength is > 0)
        {
            JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
            bodyForce = body.TryGetProperty("force", out JsonElement f) ? f.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw AdminProblem.Validation("force must be true or false."),
            } : null;
        }

        bool? queryForce = RequestLogQuery.Value(context.Request, "force") switch
        {
            null => null,
            "false" => false,
            "true" => true,
            _ => throw AdminProblem.Validation("force must be true or false."),
        };
        if (bodyForce is not null && queryForce is not null && bodyForce != queryForce)
        {
            throw AdminProblem.Validation("force is given twice, in the query and in the body, with different values.");
        }

        bool force = bodyForce ?? queryForce ?? false;
        if (workspaceId == WorkspaceService.DefaultId)
        {
            throw AdminProblem.Conflict("The default workspace cannot be deleted.");
        }

        // 1. Deleted in one transaction, or refused while it holds keys and force is not set.
        WorkspaceContents contents = await workspaces.DeleteAsync(workspaceId, force, cancellationToken)
            ?? throw WorkspaceAccess.NotFound(workspaceId);
        if (!force && !contents.IsEmpty)
        {
            throw AdminProblem.Conflict(
                $"Workspace '{workspaceId}' still holds {Count(contents.VirtualKeys.Count, "virtual key or provider",
                    "virtual keys or providers")}, {Count(contents.ApiKeys.Count, "API key", "API keys")} and " +
                $"{Count(contents.Integrations.Count, "integration", "integrations")}; " +
                "delete them first, or send DELETE with ?force=true to delete them with the workspace.");
        }

        // 2. What went with it: caches, budgets, prices.
        virtualKeys.Invalidate();
        await pricing.ReloadAsync(cancellationToken);
        foreach (VirtualKeyRecord key in contents.VirtualKeys)
        {
            await ledger.RemoveAsync(BudgetOwner.ForVirtualKey(key.Id, key.Slug), cancellationToken);
        }

        foreach (ApiKeyRecord key in contents.ApiKeys)
        {
            // The row is gone already; deleting again clears the service's cache of recognised keys.
            await apiKeys.DeleteAsync(key.Id, cancellationToken);
            await ledger.RemoveAsync(BudgetOwner.ForApiKey(key.Id), cancellationToken);
        }

        await ledger.RemoveAsync(BudgetOwner.ForWorkspace(workspaceId), cancellationToken);
        await audit.RecordAsync(caller.KeyId, "workspace.delete", "workspace", workspaceId,
            $"removed {contents.VirtualKeys.Count} virtual keys, {contents.ApiKeys.Count} API keys, " +
            $"{contents.Integrations.Count} integrations", cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["success"] = true,
            ["object"] = "workspace",
            ["id"] = workspaceId,
            ["deleted"] = true,
            ["deleted_virtual_keys"] = contents.VirtualKeys.Select(k => k.Slug).ToArray(),
            ["deleted_api_keys"] = contents.ApiKeys.Select(k => k.Id).ToArray(),
            ["deleted_integrations"] = contents.Integrations,
        });
    }

    private static async Task<WorkspaceRecord> ReachableAsync(
        Caller caller, string workspaceId, WorkspaceService workspaces, CancellationToken cancellationToken)
    {
        WorkspaceRecord? record = caller.CanReach(workspaceId) ? await workspaces.GetAsync(workspaceId, cancellationToken) : null;
        return record ?? throw WorkspaceAccess.NotFound(workspaceId);
    }

    private static async Task<object> ShapeAsync(
        WorkspaceRecord r, IUsageLedger ledger, CancellationToken cancellationToken)
    {
        Budgets.BudgetStatus[] budgets = await LimitsView.StatusesAsync(
            BudgetOwner.ForWorkspace(r.Id), r.UsageLimits, ledger, cancellationToken);
        return new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["slug"] = r.Id,
            ["object"] = "workspace",
            ["name"] = r.Name,
            ["description"] = r.Description,
            ["status"] = r.Status == "active" && LimitsView.AnyExhausted(budgets) ? "exhausted" : r.Status,
            ["defaults"] = new Dictionary<string, object?>
            {
                ["metadata"] = r.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(r.Metadata),
                ["is_default"] = r.Id == WorkspaceService.DefaultId ? 1 : 0,
                ["object"] = "workspace",
            },
            ["usage_limits"] = LimitsView.UsageLimits(r.UsageLimits, budgets),
            ["rate_limits"] = LimitsView.RateLimits(r.RateLimits),
            ["created_at"] = r.CreatedAt,
            ["last_updated_at"] = r.UpdatedAt,
        };
    }

    // defaults.metadata: an object of string values, kept as JSON; absent or null defaults mean none.
    private static string? Metadata(JsonElement body)
    {
        if (!body.TryGetProperty("defaults", out JsonElement defaults) || defaults.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (defaults.ValueKind != JsonValueKind.Object)
        {
            throw AdminProblem.Validation("defaults must be an object such as {\"metadata\":{\"team\":\"search\"}}.");
        }

        if (!defaults.TryGetProperty("metadata", out JsonElement metadata) || metadata.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (metadata.ValueKind != JsonValueKind.Object ||
            metadata.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String || p.Name.Length > 200))
        {
            throw AdminProblem.Validation("defaults.metadata must be an object of string values.");
        }

        return metadata.GetRawText();
    }

    private static string Count(int count, string one, string many) => count == 1 ? $"1 {one}" : $"{count} {many}";
}
