namespace Portcullis.Budgets;

/// <summary>A budget's durable state: settled usage in the current period and over its lifetime, and its schedule.</summary>
internal sealed record BudgetSnapshot(
    string Id,
    string OwnerKind,
    string OwnerId,
    string Type,
    long CurrentUsage,
    long TotalUsage,
    DateTimeOffset Anchor,
    DateTimeOffset PeriodStart,
    DateTimeOffset? NextResetAt,
    bool AlertSent,
    bool ExhaustedSent);
