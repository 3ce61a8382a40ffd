using Portcullis.Limits;

namespace Portcullis.Budgets;

/// <summary>
/// What one request asks of one budget: its worst case in the budget's unit (picodollars for a cost budget, tokens for
/// a tokens budget).
/// </summary>
internal readonly record struct BudgetClaim(BudgetOwner Owner, UsageLimit Limit, long Amount)
{
    public string AccountId => BudgetAccount.IdOf(Owner, Limit.Type);
}
