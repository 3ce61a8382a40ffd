namespace Portcullis.Catalog;

/// <summary>Which workspaces may use an integration, and the grant whose limits apply there.</summary>
internal static class IntegrationAccess
{
    /// <summary>
    /// A workspace integration serves its own workspace; an organisation integration serves a workspace it is
    /// enabled for, or every workspace when global access is on, unless that workspace's own grant is disabled.
    /// </summary>
    public static bool IsUsableIn(IntegrationRecord integration, string workspaceId)
    {
        if (integration.WorkspaceId is { } owner)
        {
            return string.Equals(owner, workspaceId, StringComparison.Ordinal);
        }

        IntegrationGrant? own = Find(integration, workspaceId);
        return own is not null ? own.Enabled : Find(integration, IntegrationGrant.GlobalWorkspace)?.Enabled == true;
    }

    /// <summary>The grant whose limits apply in <paramref name="workspaceId"/>: its own, else the global one.</summary>
    public static IntegrationGrant? GrantFor(IntegrationRecord integration, string workspaceId)
    {
        IntegrationGrant? own = Find(integration, workspaceId);
        if (own is not null)
        {
            return own.Enabled ? own : null;
        }

        IntegrationGrant? global = Find(integration, IntegrationGrant.GlobalWorkspace);
        return global is { Enabled: true } ? global : null;
    }

    private static IntegrationGrant? Find(IntegrationRecord integration, string workspaceId)
    {
        foreach (IntegrationGrant grant in integration.Grants)
        {
            if (string.Equals(grant.WorkspaceId, workspaceId, StringComparison.Ordinal))
            {
                return grant;
            }
        }

        return null;
    }
}
