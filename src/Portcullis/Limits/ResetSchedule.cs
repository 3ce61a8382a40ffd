namespace Portcullis.Limits;

/// <summary>
/// The periods of a budget, in UTC. Weekly periods start on Sunday 00:00, monthly ones on the 1st at 00:00, and
/// <see cref="ResetPeriod.Days"/> periods every N days from the anchor: the moment the period was turned on. No period
/// starts before the anchor, so the first period runs from the anchor to the first boundary after it.
/// </summary>
/// <remarks>
/// To reset exactly once per period, store with the usage the start of the period it belongs to. When
/// <see cref="CurrentPeriodStart"/> for now is later than the stored start (<see cref="ResetDue"/>), set the usage to zero
/// and store the new start in one step. However many boundaries passed while the process was down, that is one reset,
/// into the period that holds now, and a second look in the same period finds nothing to do.
/// </remarks>
internal static class ResetSchedule
{
    /// <summary>The start of the period holding <paramref name="now"/>; the anchor for a budget that never resets.</summary>
    public static DateTimeOffset CurrentPeriodStart(UsageLimit limit, DateTimeOffset anchor, DateTimeOffset now)
    {
        anchor = anchor.ToUniversalTime();
        now = now.ToUniversalTime();
        if (now <= anchor)
        {
            return anchor;
        }

        DateTimeOffset start = limit.Reset switch
        {
            ResetPeriod.None => anchor,
            ResetPeriod.Weekly => StartOfWeek(now),
            ResetPeriod.Monthly => StartOfMonth(now),
            ResetPeriod.Days => anchor + (now - anchor).Ticks / DaysLength(limit).Ticks * DaysLength(limit),
            _ => throw new ArgumentOutOfRangeException(nameof(limit), limit.Reset, "Unknown reset period."),
        };
        return start < anchor ? anchor : start;
    }

    /// <summary>When the period starting at <paramref name="periodStart"/> ends; null for a budget that never resets.</summary>
    public static DateTimeOffset? NextReset(UsageLimit limit, DateTimeOffset anchor, DateTimeOffset periodStart)
    {
        periodStart = periodStart.ToUniversalTime();
        return limit.Reset switch
        {
            ResetPeriod.None => null,
            ResetPeriod.Weekly => StartOfWeek(periodStart).AddDays(7),
            ResetPeriod.Monthly => StartOfMonth(periodStart).AddMonths(1),
            ResetPeriod.Days => CurrentPeriodStart(limit, anchor, periodStart) + DaysLength(limit),
            _ => throw new ArgumentOutOfRangeException(nameof(limit), limit.Reset, "Unknown reset period."),
        };
    }

    /// <summary>True when usage counted in the period started at <paramref name="periodStart"/> is due for reset.</summary>
    public static bool ResetDue(UsageLimit limit, DateTimeOffset anchor, DateTimeOffset periodStart, DateTimeOffset now) =>
        CurrentPeriodStart(limit, anchor, now) > periodStart;

    private static DateTimeOffset StartOfWeek(DateTimeOffset utc) =>
        new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero).AddDays(-(int)utc.DayOfWeek);

    private static DateTimeOffset StartOfMonth(DateTimeOffset utc) => new(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimeSpan DaysLength(UsageLimit limit) => limit.ResetDays is >= 1 and <= 365
        ? TimeSpan.FromDays(limit.ResetDays.Value)
        : throw new ArgumentException("A reset every N days needs ResetDays from 1 to 365.", nameof(limit));
}
