using Portcullis.Admin;
using Portcullis.ApiKeys;
using Portcullis.Storage;

namespace Portcullis.Workspaces;

/// <summary>
/// Which workspaces an admin caller may see and act in. An object in a workspace the caller cannot reach answers
/// exactly as an unknown one does (404), so a workspace key learns nothing about other workspaces.
/// </summary>
internal sealed class WorkspaceAccess(WorkspaceService workspaces)
{
    /// <summary>
    /// The workspace a create call puts its object in: the requested one when it exists and the caller reaches it;
    /// when none is requested, the caller's own workspace for workspace keys and <c>default</c> for organisation keys.
    /// Anything else is <see cref="AdminProblem"/> 404.
    /// </summary>
    public async Task<string> TargetWorkspaceAsync(Caller caller, string? requested, CancellationToken cancellationToken)
    {
        string id = requested ?? (caller.IsOrganisation ? WorkspaceService.DefaultId : caller.WorkspaceId);
        if (!caller.CanReach(id) || await workspaces.FindAsync(id, cancellationToken) is null)
        {
            throw NotFound(id);
        }

        return id;
    }

    /// <summary>
    /// The workspace a listing is narrowed to: a workspace key's own always; for organisation keys the
    /// <c>workspace_id</c> asked for (which must exist), or null for all. A workspace key naming another is 404.
    /// </summary>
    public async Task<string?> ListScopeAsync(Caller caller, string? requested, CancellationToken cancellationToken)
    {
        if (requested is null)
        {
            return caller.IsOrganisation ? null : caller.WorkspaceId;
        }

        return await TargetWorkspaceAsync(caller, requested, cancellationToken);
    }

    /// <summary>Whether the caller may see this API key: organisation keys are visible to organisation keys only.</summary>
    public static bool CanSee(Caller caller, ApiKeyRecord key) =>
        caller.IsOrganisation || (IsWorkspaceType(key.Type) && caller.CanReach(key.WorkspaceId));

    public static bool CanSee(Caller caller, VirtualKeyRecord key) => caller.CanReach(key.WorkspaceId);

    public static bool IsWorkspaceType(string type) => type.StartsWith("workspace-", StringComparison.Ordinal);

    public static AdminProblem NotFound(string workspaceId) => AdminProblem.NotFound($"Workspace '{workspaceId}'");
}
