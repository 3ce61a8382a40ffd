using Portcullis.Admin;
using Portcullis.Budgets;
using Portcullis.Storage;

namespace Portcullis.Catalog;

/// <summary>Shapes integrations, their models and grants, and providers with Portkey's field names; never a secret.</summary>
internal static class CatalogJson
{
    public static object Integration(IntegrationRecord r) => new Dictionary<string, object?>
    {
        ["id"] = r.Id,
        ["object"] = "integration",
        ["slug"] = r.Slug,
        ["name"] = r.Name,
        ["ai_provider_id"] = r.AiProviderId,
        ["description"] = r.Description,
        ["status"] = r.Status,
        ["workspace_id"] = r.WorkspaceId,
        ["type"] = r.WorkspaceId is null ? "organisation" : "workspace",
        ["masked_key"] = r.KeyMask.Length == 0 ? null : r.KeyMask,
        ["configurations"] = Configurations(r),
        ["allow_all_models"] = r.AllowAllModels,
        ["global_workspace_access"] = r.Grants.Any(g => g.WorkspaceId == IntegrationGrant.GlobalWorkspace && g.Enabled),
        ["created_at"] = r.CreatedAt,
        ["last_updated_at"] = r.UpdatedAt,
    };

    // What is not secret as given; custom header values masked.
    private static Dictionary<string, object?> Configurations(IntegrationRecord r)
    {
        var config = new Dictionary<string, object?>();
        if (r.CustomHost is not null)
        {
            config["custom_host"] = r.CustomHost;
        }

        if (r.CustomHeaderNames.Count > 0)
        {
            config["custom_headers"] = r.CustomHeaderNames.ToDictionary(n => n, _ => "****");
        }

        if (r.OpenAiOrganization is not null)
        {
            config["openai_organization"] = r.OpenAiOrganization;
        }

        if (r.OpenAiProject is not null)
        {
            config["openai_project"] = r.OpenAiProject;
        }

        if (r.Azure is { } azure)
        {
            config["azure_auth_mode"] = "default";
            config["azure_resource_name"] = azure.ResourceName;
            config["azure_deployment_config"] = azure.Deployments.Select(d => new Dictionary<string, object?>
            {
                ["alias"] = d.Alias,
                ["azure_deployment_name"] = d.DeploymentName,
                ["azure_api_version"] = d.ApiVersion,
                ["azure_model_slug"] = d.ModelName,
                ["is_default"] = d.IsDefault,
            }).ToArray();
        }

        return config;
    }

    public static object Models(IntegrationRecord r) => new Dictionary<string, object?>
    {
        ["object"] = "list",
        ["total"] = r.Models.Count,
        ["allow_all_models"] = r.AllowAllModels,
        ["models"] = r.Models.Select(m => new Dictionary<string, object?>
        {
            ["slug"] = m.Slug,
            ["enabled"] = m.Enabled,
            ["pricing_config"] = IntegrationModelRules.PricingConfig(m),
            ["configurations"] = m.CustomHost is null ? null : new { custom_host = m.CustomHost },
        }).ToArray(),
    };

    /// <param name="underGlobalAccess">
    /// The workspaces served through global access whose own counters to show under it; none when null.
    /// </param>
    public static async Task<Dictionary<string, object?>> WorkspacesAsync(
        IntegrationRecord r, IUsageLedger ledger, CancellationToken cancellationToken,
        IReadOnlyList<string>? underGlobalAccess = null)
    {
        var workspaces = new List<object>();
        IntegrationGrant? global = null;
        foreach (IntegrationGrant grant in r.Grants)
        {
            if (grant.WorkspaceId == IntegrationGrant.GlobalWorkspace)
            {
                global = grant;
                continue;
            }

            workspaces.Add(await GrantAsync(r, grant, ledger, cancellationToken));
        }

        return new Dictionary<string, object?>
        {
            ["object"] = "list",
            ["total"] = workspaces.Count,
            ["workspaces"] = workspaces,
            ["global_workspace_access"] = global is null
                ? new Dictionary<string, object?> { ["enabled"] = false }
                : await GlobalAsync(r, global, ledger, underGlobalAccess ?? [], cancellationToken),
        };
    }

    // Global access, with each served workspace's own usage of its budgets (global access counts per workspace).
    private static async Task<Dictionary<string, object?>> GlobalAsync(
        IntegrationRecord r, IntegrationGrant global, IUsageLedger ledger, IReadOnlyList<string> served,
        CancellationToken cancellationToken)
    {
        Dictionary<string, object?> shaped = await GrantAsync(r, global, ledger, cancellationToken);
        if (global.UsageLimits.Count > 0)
        {
            var usage = new List<object>(served.Count);
            foreach (string workspace in served)
            {
                BudgetStatus[] statuses = await LimitsView.StatusesAsync(
                    BudgetOwner.ForIntegration(r.Id, r.Slug, workspace), global.UsageLimits, ledger, cancellationToken);
                usage.Add(new Dictionary<string, object?>
                {
                    ["id"] = workspace,
                    ["usage_limits"] = AsArray(LimitsView.UsageLimits(global.UsageLimits, statuses)),
                });
            }

            shaped["workspaces"] = usage;
        }

        return shaped;
    }

    private static async Task<Dictionary<string, object?>> GrantAsync(
        IntegrationRecord r, IntegrationGrant grant, IUsageLedger ledger, CancellationToken cancellationToken)
    {
        // Global access has a budget per workspace: there is no one usage to show for it, so it shows none.
        bool global = grant.WorkspaceId == IntegrationGrant.GlobalWorkspace;
        BudgetStatus[] statuses = global
            ? new BudgetStatus[grant.UsageLimits.Count]
            : await LimitsView.StatusesAsync(
                BudgetOwner.ForIntegration(r.Id, r.Slug, grant.WorkspaceId), grant.UsageLimits, ledger, cancellationToken);
        var shaped = new Dictionary<string, object?>
        {
            ["enabled"] = grant.Enabled,
            ["usage_limits"] = AsArray(LimitsView.UsageLimits(grant.UsageLimits, statuses)),
            ["rate_limits"] = LimitsView.RateLimits(grant.RateLimits),
        };
        if (!global)
        {
            shaped = new Dictionary<string, object?> { ["id"] = grant.WorkspaceId }.Concat(shaped).ToDictionary();
        }

        return shaped;
    }

    private static object? AsArray(System.Text.Json.JsonElement? limits) =>
        limits is { ValueKind: System.Text.Json.JsonValueKind.Object } one ? new[] { one } : limits;

    /// <param name="integrationSlug">The slug of the provider's integration; null for a classic virtual key.</param>
    public static object Provider(VirtualKeyRecord r, string? integrationSlug, BudgetStatus[] budgets, DateTimeOffset now)
    {
        string status = r.ExpiresAt is { } expires && expires <= now
            ? "expired"
            : r.Status == "active" && LimitsView.AnyExhausted(budgets) ? "exhausted" : r.Status;
        return new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["object"] = "provider",
            ["slug"] = r.Slug,
            ["name"] = r.Name,
            ["integration_id"] = integrationSlug,
            ["ai_provider_id"] = r.Provider,
            ["note"] = r.Note,
            ["status"] = status,
            ["workspace_id"] = r.WorkspaceId,
            ["masked_api_key"] = r.KeyMask.Length == 0 ? null : r.KeyMask,
            ["usage_limits"] = LimitsView.UsageLimits(r.UsageLimits, budgets),
            ["rate_limits"] = LimitsView.RateLimits(r.RateLimits),
            ["expires_at"] = r.ExpiresAt,
            ["created_at"] = r.CreatedAt,
            ["last_updated_at"] = r.UpdatedAt,
        };
    }
}
