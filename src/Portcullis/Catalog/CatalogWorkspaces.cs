using Portcullis.Admin;
using Portcullis.ApiKeys;

namespace Portcullis.Catalog;

/// <summary>
/// The catalog's one question about workspaces: does this workspace exist, and may the caller use it? A workspace
/// the caller cannot reach answers exactly as an unknown one (404).
/// </summary>
internal static class CatalogWorkspaces
{
    /// <summary>
    /// The workspace a create names: <paramref name="requested"/>, else the caller's own for a workspace key, else
    /// <paramref name="organisationDefault"/> for an organisation key (which may be null: organisation level).
    /// </summary>
    public static string? Select(Caller caller, string? requested, string? organisationDefault)
    {
        if (requested is null)
        {
            return caller.IsOrganisation ? organisationDefault : caller.WorkspaceId;
        }

        Require(caller, requested);
        return requested;
    }

    /// <summary>Throws 404 unless the workspace exists and the caller may use it.</summary>
    // NOTE: workspaces are not stored yet on this branch, so any well-formed id the caller can reach counts as existing;
    // the workspaces service's check replaces this at merge.
    public static void Require(Caller caller, string workspaceId)
    {
        if (workspaceId.Length is 0 or > 200 || workspaceId.Any(char.IsControl) || !caller.CanReach(workspaceId))
        {
            throw AdminProblem.NotFound($"Workspace '{(workspaceId.Length > 100 ? workspaceId[..100] : workspaceId)}'");
        }
    }
}
