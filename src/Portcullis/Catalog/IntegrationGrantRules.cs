using System.Text.Json;
using Portcullis.Admin;
using Portcullis.Limits;

namespace Portcullis.Catalog;

/// <summary>
/// Reads <c>PUT /v1/integrations/{slug}/workspaces</c>: <c>workspaces: [{id, enabled, usage_limits, rate_limits,
/// reset_usage}]</c> and <c>global_workspace_access: {enabled, usage_limits, rate_limits}</c>.
/// </summary>
internal static class IntegrationGrantRules
{
    /// <summary>One grant as given, and whether its budgets' usage is to be reset.</summary>
    public readonly record struct GrantInput(IntegrationGrant Grant, bool ResetUsage);

    public static IReadOnlyList<GrantInput> ReadWorkspaces(JsonElement body)
    {
        if (!body.TryGetProperty("workspaces", out JsonElement list) || list.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > 1000)
        {
            throw AdminProblem.Validation("workspaces must be an array (at most 1000) of {id, enabled, usage_limits, rate_limits}.");
        }

        var grants = new List<GrantInput>();
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw AdminProblem.Validation("Each entry of workspaces must be an object.");
            }

            string id = AdminJson.String(item, "id") ?? throw AdminProblem.Validation("Each workspace entry needs an id.");
            if (grants.Any(g => g.Grant.WorkspaceId == id))
            {
                throw AdminProblem.Validation($"Workspace '{id}' is listed twice.");
            }

            grants.Add(new GrantInput(ReadGrant(item, id), LimitsInput.ResetUsage(item)));
        }

        return grants;
    }

    public static IntegrationGrant? ReadGlobal(JsonElement body)
    {
        if (!body.TryGetProperty("global_workspace_access", out JsonElement global) || global.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return global.ValueKind == JsonValueKind.Object
            ? ReadGrant(global, IntegrationGrant.GlobalWorkspace)
            : throw AdminProblem.Validation("global_workspace_access must be an object {enabled, usage_limits, rate_limits}.");
    }

    private static IntegrationGrant ReadGrant(JsonElement item, string id)
    {
        bool enabled = item.TryGetProperty("enabled", out JsonElement e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? e.GetBoolean()
            : throw AdminProblem.Validation($"Workspace '{id}' needs enabled: true or false.");
        IReadOnlyList<UsageLimit> usage = LimitsInput.UsageLimits(item) ?? [];
        IReadOnlyList<RateLimit> rates = LimitsInput.RateLimits(item) ?? [];
        return new IntegrationGrant(id, enabled, usage, rates);
    }
}
