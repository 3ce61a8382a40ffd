using System.Text.Json;
using Portcullis.Admin;
using Portcullis.Limits;

namespace Portcullis.Catalog;

/// <summary>
/// Reads <c>PUT /v1/integrations/{slug}/workspaces</c>: <c>workspaces: [{id, enabled, usage_limits, rate_limits,
/// reset_usage}]</c>, <c>global_workspace_access: {enabled, usage_limits, rate_limits}</c> and
/// <c>override_existing_workspace_access</c>, and Portkey's <c>create_default_provider</c> and
/// <c>default_provider_slug</c> per entry and at the top level. Fields absent from an entry keep the stored grant's
/// values; <c>null</c> clears the limits.
/// </summary>
internal static class IntegrationGrantRules
{
    /// <summary>
    /// One grant as given: a null field was left out and keeps its stored value. <see cref="ResetUsage"/> zeroes the
    /// current period of the grant's budgets.
    /// </summary>
    public sealed record GrantInput(
        string WorkspaceId, bool? Enabled, IReadOnlyList<UsageLimit>? UsageLimits, IReadOnlyList<RateLimit>? RateLimits,
        bool ResetUsage)
    {
        /// <summary>This entry's own default provider fields; the top level's fill what it leaves out.</summary>
        public DefaultProviderChoice DefaultProvider { get; init; } = DefaultProviderChoice.None;

        /// <summary>The grant to store: this entry laid over <paramref name="stored"/> (null for a new grant).</summary>
        public IntegrationGrant ApplyTo(IntegrationGrant? stored) => new(
            WorkspaceId,
            Enabled ?? stored?.Enabled ?? throw AdminProblem.Validation($"{Name} needs enabled: true or false."),
            UsageLimits ?? stored?.UsageLimits ?? [],
            RateLimits ?? stored?.RateLimits ?? []);

        private string Name => WorkspaceId == IntegrationGrant.GlobalWorkspace
            ? "global_workspace_access"
            : $"Workspace '{WorkspaceId}'";
    }

    private static readonly string[] BodyFields =
    [
        "workspaces", "global_workspace_access", "override_existing_workspace_access",
        .. DefaultProviderChoice.Fields,
    ];

    private static readonly string[] EntryFields =
        ["id", "enabled", "usage_limits", "rate_limits", "reset_usage", .. DefaultProviderChoice.Fields];

    private static readonly string[] GlobalFields = ["enabled", "usage_limits", "rate_limits", "reset_usage"];

    /// <summary>Reads the workspace entries; a workspace listed twice or an unknown field is a validation error.</summary>
    public static IReadOnlyList<GrantInput> ReadWorkspaces(JsonElement body)
    {
        CatalogFields.RequireKnown(body, "", BodyFields);
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

            CatalogFields.RequireKnown(item, $"workspaces[{grants.Count}]", EntryFields);
            string id = AdminJson.String(item, "id") ?? throw AdminProblem.Validation("Each workspace entry needs an id.");
            if (id == IntegrationGrant.GlobalWorkspace)
            {
                throw AdminProblem.Validation("Use global_workspace_access to grant every workspace.");
            }

            if (grants.Any(g => g.WorkspaceId == id))
            {
                throw AdminProblem.Validation($"Workspace '{id}' is listed twice.");
            }

            grants.Add(ReadGrant(item, id, LimitsInput.ResetUsage(item)) with
            {
                DefaultProvider = DefaultProviderChoice.Read(item, $"workspaces[{grants.Count}]"),
            });
        }

        return grants;
    }

    /// <summary>The top level's default provider fields, which apply to every entry that leaves them out.</summary>
    public static DefaultProviderChoice ReadDefaultProvider(JsonElement body) => DefaultProviderChoice.Read(body, "");

    public static GrantInput? ReadGlobal(JsonElement body)
    {
        if (!body.TryGetProperty("global_workspace_access", out JsonElement global) || global.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (global.ValueKind != JsonValueKind.Object)
        {
            throw AdminProblem.Validation("global_workspace_access must be an object {enabled, usage_limits, rate_limits}.");
        }

        CatalogFields.RequireKnown(global, "global_workspace_access", GlobalFields);
        // reset_usage here resets every workspace's counter under global access.
        return ReadGrant(global, IntegrationGrant.GlobalWorkspace, LimitsInput.ResetUsage(global));
    }

    private static GrantInput ReadGrant(JsonElement item, string id, bool resetUsage)
    {
        bool? enabled = item.TryGetProperty("enabled", out JsonElement e) && e.ValueKind != JsonValueKind.Null
            ? e.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? e.GetBoolean()
                : throw AdminProblem.Validation(
                    $"{(id == IntegrationGrant.GlobalWorkspace ? "global_workspace_access" : $"Workspace '{id}'")} " +
                    "needs enabled: true or false.")
            : null;
        return new GrantInput(id, enabled, LimitsInput.UsageLimits(item), LimitsInput.RateLimits(item), resetUsage);
    }
}
