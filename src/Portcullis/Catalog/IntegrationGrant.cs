using Portcullis.Limits;

namespace Portcullis.Catalog;

/// <summary>
/// An integration's access for one workspace (or for every workspace, <see cref="GlobalWorkspace"/>), with the
/// budgets and rate limits that apply to all providers made from the integration in that workspace.
/// </summary>
internal sealed record IntegrationGrant(
    string WorkspaceId, bool Enabled, IReadOnlyList<UsageLimit> UsageLimits, IReadOnlyList<RateLimit> RateLimits)
{
    /// <summary>The workspace id under which global workspace access is stored.</summary>
    public const string GlobalWorkspace = "*";
}
