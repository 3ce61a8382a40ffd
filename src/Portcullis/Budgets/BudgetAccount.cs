using Portcullis.Limits;

namespace Portcullis.Budgets;

/// <summary>
/// One budget's live state. Only <see cref="UsageLedger"/> touches it, under its lock: settled usage in the current
/// period, what admitted requests still hold, and the period schedule.
/// </summary>
internal sealed class BudgetAccount
{
    public BudgetAccount(BudgetOwner owner, UsageLimit limit, DateTimeOffset now)
    {
        Owner = owner;
        Limit = limit;
        Anchor = now;
        PeriodStart = now;
        NextResetAt = ResetSchedule.NextReset(limit, now, now);
    }

    public BudgetAccount(BudgetOwner owner, UsageLimit limit, BudgetSnapshot saved)
    {
        Owner = owner;
        Limit = limit;
        CurrentUsage = saved.CurrentUsage;
        TotalUsage = saved.TotalUsage;
        Anchor = saved.Anchor;
        PeriodStart = saved.PeriodStart;
        NextResetAt = saved.NextResetAt;
        AlertSent = saved.AlertSent;
        ExhaustedSent = saved.ExhaustedSent;
    }

    public BudgetOwner Owner { get; }

    public UsageLimit Limit { get; private set; }

    public long CurrentUsage { get; set; }

    public long TotalUsage { get; set; }

    public long Reserved { get; set; }

    public DateTimeOffset Anchor { get; private set; }

    public DateTimeOffset PeriodStart { get; private set; }

    public DateTimeOffset? NextResetAt { get; private set; }

    public bool AlertSent { get; set; }

    public bool ExhaustedSent { get; set; }

    public string Id => IdOf(Owner, Limit.Type);

    public bool Exhausted => CurrentUsage >= Limit.CreditLimit;

    public static string IdOf(BudgetOwner owner, UsageLimitType type) =>
        $"{owner.CounterKey}:{(type == UsageLimitType.Cost ? "cost" : "tokens")}";

    /// <summary>
    /// Takes a new configuration. Usage is kept (a lower limit can leave the budget used up at once); a changed reset
    /// schedule starts from <paramref name="now"/>: every-N-days periods count from now, weekly and monthly ones from
    /// the calendar boundary before now.
    /// </summary>
    public void Reconfigure(UsageLimit limit, DateTimeOffset now)
    {
        bool scheduleChanged = limit.Reset != Limit.Reset || limit.ResetDays != Limit.ResetDays;
        Limit = limit;
        if (scheduleChanged)
        {
            Anchor = now;
            PeriodStart = ResetSchedule.CurrentPeriodStart(limit, now, now);
            NextResetAt = ResetSchedule.NextReset(limit, now, PeriodStart);
        }

        if (!Exhausted)
        {
            ExhaustedSent = false;
        }

        if (limit.AlertThreshold is not { } threshold || CurrentUsage < threshold)
        {
            AlertSent = false;
        }
    }

    /// <summary>Zeroes the current period's usage at once (an admin's <c>reset_usage</c>); the schedule is kept.</summary>
    public void ResetUsage(DateTimeOffset now)
    {
        CurrentUsage = 0;
        PeriodStart = now;
        AlertSent = false;
        ExhaustedSent = false;
    }

    /// <summary>
    /// Moves to the current period when one or more resets are due: usage starts again from zero, once, however many
    /// boundaries passed (a process that was down across several resets them once). Returns whether it reset.
    /// </summary>
    public bool RollForward(DateTimeOffset now)
    {
        if (!ResetSchedule.ResetDue(Limit, Anchor, PeriodStart, now))
        {
            return false;
        }

        PeriodStart = ResetSchedule.CurrentPeriodStart(Limit, Anchor, now);
        NextResetAt = ResetSchedule.NextReset(Limit, Anchor, PeriodStart);
        CurrentUsage = 0;
        AlertSent = false;
        ExhaustedSent = false;
        return true;
    }

    /// <summary>Whether a request asking <paramref name="amount"/> fits: hard budgets count what others hold too.</summary>
    public bool Admits(long amount) => Limit.Soft
        ? CurrentUsage < Limit.CreditLimit
        : amount <= Limit.CreditLimit - CurrentUsage - Reserved;

    public BudgetSnapshot Snapshot() => new(
        Id, Owner.Kind, Owner.Id, Limit.Type == UsageLimitType.Cost ? "cost" : "tokens", CurrentUsage, TotalUsage, Anchor,
        PeriodStart, NextResetAt, AlertSent, ExhaustedSent);

    public BudgetStatus Status() => new(CurrentUsage, TotalUsage, Reserved, PeriodStart, NextResetAt, Exhausted);
}
