namespace Portcullis.Budgets;

/// <summary>Why a budget refused a request, with what a message and a <c>Retry-After</c> need.</summary>
internal sealed record BudgetRefusal(
    BudgetClaim Claim, long CurrentUsage, long Reserved, DateTimeOffset? NextResetAt, bool LargerThanBudget);
