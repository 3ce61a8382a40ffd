using Microsoft.Extensions.Time.Testing;
using Portcullis.Limits;

namespace Portcullis.Tests.Limits;

public sealed class ResetScheduleTests
{
    private static readonly UsageLimit Monthly = Budget(ResetPeriod.Monthly);
    private static readonly UsageLimit Weekly = Budget(ResetPeriod.Weekly);
    private static readonly DateTimeOffset LongAgo = At("2020-01-01T00:00:00Z");

    [Theory]
    [InlineData("2027-01-31T23:59:59Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z")]
    [InlineData("2027-02-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    [InlineData("2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z")]
    [InlineData("2027-02-28T23:59:59Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    [InlineData("2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    public void Monthly_periods_run_from_the_first_of_one_month_to_the_first_of_the_next(
        string now, string start, string next)
    {
        DateTimeOffset periodStart = ResetSchedule.CurrentPeriodStart(Monthly, LongAgo, At(now));

        Assert.Equal(At(start), periodStart);
        Assert.Equal(At(next), ResetSchedule.NextReset(Monthly, LongAgo, periodStart));
    }

    [Theory]
    [InlineData("2026-12-05T23:59:59Z", "2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z")]
    [InlineData("2026-12-06T00:00:00Z", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z")]
    [InlineData("2026-12-09T10:30:00Z", "2026-12-06T00:00:00Z", "2026-12-13T00:00:00Z")]
    [InlineData("2026-12-31T12:00:00Z", "2026-12-27T00:00:00Z", "2027-01-03T00:00:00Z")]
    public void Weekly_periods_run_from_sunday_midnight_utc(string now, string start, string next)
    {
        DateTimeOffset periodStart = ResetSchedule.CurrentPeriodStart(Weekly, LongAgo, At(now));

        Assert.Equal(At(start), periodStart);
        Assert.Equal(DayOfWeek.Sunday, periodStart.DayOfWeek);
        Assert.Equal(At(next), ResetSchedule.NextReset(Weekly, LongAgo, periodStart));
    }

    [Fact]
    public void Boundaries_are_taken_in_utc_whatever_the_offset_of_the_times_given()
    {
        // 01:00 on Feb 1 at +02:00 is still Jan 31 in UTC.
        var now = new DateTimeOffset(2027, 2, 1, 1, 0, 0, TimeSpan.FromHours(2));

        DateTimeOffset start = ResetSchedule.CurrentPeriodStart(Monthly, LongAgo, now);

        Assert.Equal(At("2027-01-01T00:00:00Z"), start);
        Assert.Equal(TimeSpan.Zero, start.Offset);
    }

    [Fact]
    public void A_period_turned_on_mid_month_starts_at_the_anchor_and_ends_on_the_first()
    {
        DateTimeOffset anchor = At("2027-01-15T09:30:00Z");

        DateTimeOffset first = ResetSchedule.CurrentPeriodStart(Monthly, anchor, At("2027-01-20T00:00:00Z"));
        DateTimeOffset second = ResetSchedule.CurrentPeriodStart(Monthly, anchor, At("2027-02-03T00:00:00Z"));

        Assert.Equal(anchor, first);
        Assert.Equal(At("2027-02-01T00:00:00Z"), ResetSchedule.NextReset(Monthly, anchor, first));
        Assert.Equal(At("2027-02-01T00:00:00Z"), second);
    }

    [Fact]
    public void Days_periods_count_from_the_anchor_across_several_missed_periods()
    {
        UsageLimit tenDays = Budget(ResetPeriod.Days, days: 10);
        DateTimeOffset anchor = At("2027-01-01T08:00:00Z");

        DateTimeOffset start = ResetSchedule.CurrentPeriodStart(tenDays, anchor, anchor.AddDays(35).AddHours(1));

        Assert.Equal(anchor.AddDays(30), start);
        Assert.Equal(anchor.AddDays(40), ResetSchedule.NextReset(tenDays, anchor, start));
        Assert.Equal(anchor.AddDays(40), ResetSchedule.CurrentPeriodStart(tenDays, anchor, anchor.AddDays(40)));
        Assert.Equal(anchor.AddDays(30), ResetSchedule.CurrentPeriodStart(tenDays, anchor, anchor.AddDays(40).AddTicks(-1)));
    }

    [Fact]
    public void A_budget_without_a_period_never_resets()
    {
        UsageLimit never = Budget(ResetPeriod.None);
        DateTimeOffset anchor = At("2027-01-01T00:00:00Z");

        Assert.Equal(anchor, ResetSchedule.CurrentPeriodStart(never, anchor, anchor.AddYears(3)));
        Assert.Null(ResetSchedule.NextReset(never, anchor, anchor));
        Assert.False(ResetSchedule.ResetDue(never, anchor, anchor, anchor.AddYears(3)));
    }

    [Fact]
    public void A_time_before_the_anchor_belongs_to_the_first_period()
    {
        DateTimeOffset anchor = At("2027-01-15T00:00:00Z");

        Assert.Equal(anchor, ResetSchedule.CurrentPeriodStart(Weekly, anchor, anchor.AddMinutes(-5)));
    }

    [Fact]
    public void A_days_period_without_a_number_of_days_is_a_programming_error()
    {
        UsageLimit broken = Budget(ResetPeriod.Days, days: null);

        Assert.Throws<ArgumentException>(() => ResetSchedule.CurrentPeriodStart(broken, LongAgo, LongAgo.AddDays(1)));
    }

    [Theory]
    [InlineData("Weekly", null)]
    [InlineData("Monthly", null)]
    [InlineData("Days", 7)]
    public void A_process_down_across_several_boundaries_resets_once_and_then_not_again_in_the_same_period(
        string period, int? days)
    {
        UsageLimit limit = Budget(Enum.Parse<ResetPeriod>(period), days);
        var clock = new FakeTimeProvider(At("2027-01-13T10:00:00Z"));
        DateTimeOffset anchor = clock.GetUtcNow();
        var ledger = new Ledger(limit, anchor);
        ledger.Spend(clock.GetUtcNow(), 5);

        // Down for 75 days: many boundaries pass unseen.
        clock.Advance(TimeSpan.FromDays(75));
        ledger.Spend(clock.GetUtcNow(), 2);
        clock.Advance(TimeSpan.FromHours(1));
        ledger.Spend(clock.GetUtcNow(), 1);

        Assert.Equal(1, ledger.Resets);
        Assert.Equal(3, ledger.Usage);
        Assert.Equal(ResetSchedule.CurrentPeriodStart(limit, anchor, clock.GetUtcNow()), ledger.PeriodStart);
        Assert.True(ledger.PeriodStart > anchor.AddDays(45));
        Assert.True(ResetSchedule.NextReset(limit, anchor, ledger.PeriodStart) > clock.GetUtcNow());
    }

    private static UsageLimit Budget(ResetPeriod period, int? days = null) =>
        new(UsageLimitType.Tokens, 1000, null, period, days, Soft: false);

    private static DateTimeOffset At(string iso) =>
        DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    // The way a ledger is meant to use the schedule: keep the period start with the usage, compare, reset in one step.
    private sealed class Ledger(UsageLimit limit, DateTimeOffset anchor)
    {
        private readonly DateTimeOffset anchor = anchor;

        public DateTimeOffset PeriodStart { get; private set; } = anchor;
        public long Usage { get; private set; }
        public int Resets { get; private set; }

        public void Spend(DateTimeOffset now, long amount)
        {
            if (ResetSchedule.ResetDue(limit, anchor, PeriodStart, now))
            {
                PeriodStart = ResetSchedule.CurrentPeriodStart(limit, anchor, now);
                Usage = 0;
                Resets++;
            }

            Usage += amount;
        }
    }
}
