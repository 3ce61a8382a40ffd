using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.ApiKeys;
using Portcullis.Workspaces;

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
    public static async Task<string?> SelectAsync(
        HttpContext context, Caller caller, string? requested, string? organisationDefault)
    {
        if (requested is null && caller.IsOrganisation && organisationDefault is null)
        {
            return null;
        }

        return await Access(context).TargetWorkspaceAsync(
            caller, requested ?? (caller.IsOrganisation ? organisationDefault : null), context.RequestAborted);
    }

    /// <summary>Throws 404 unless the workspace exists and the caller may use it.</summary>
    public static Task RequireAsync(HttpContext context, Caller caller, string workspaceId) =>
        Access(context).TargetWorkspaceAsync(caller, workspaceId, context.RequestAborted);

    private static WorkspaceAccess Access(HttpContext context) => context.RequestServices.GetRequiredService<WorkspaceAccess>();
}
