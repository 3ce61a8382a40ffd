namespace Portcullis.Budgets;

/// <summary>A budget crossed its alert threshold or was used up; raised once per period.</summary>
internal sealed record BudgetEvent(
    string Kind, BudgetOwner Owner, string Type, long CreditLimit, long? AlertThreshold, long CurrentUsage,
    DateTimeOffset PeriodStart, DateTimeOffset? NextResetAt, DateTimeOffset At)
{
    public const string AlertCrossed = "budget.alert_threshold";
    public const string UsedUp = "budget.exhausted";
}
