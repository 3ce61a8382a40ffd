namespace Portcullis.Budgets;

/// <summary>A budget as the admin API shows it: usage in the current period, when it resets, whether it is used up.</summary>
internal readonly record struct BudgetStatus(
    long CurrentUsage, long TotalUsage, long Reserved, DateTimeOffset? LastResetAt, DateTimeOffset? NextResetAt, bool Exhausted);
