using Portcullis.Budgets;
using Portcullis.Limits;

namespace Portcullis.Governance;

/// <summary>
/// One level whose budgets and rate limits apply to a request: the virtual key or provider, the calling API key, the
/// workspace, or the integration's grant to the workspace. Admission checks every level in one step.
/// </summary>
internal readonly record struct GovernedLevel(
    BudgetOwner Owner, IReadOnlyList<UsageLimit> Budgets, IReadOnlyList<RateLimit> Rates);
