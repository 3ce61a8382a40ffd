namespace Portcullis.Limits;

/// <summary>At most <paramref name="Value"/> requests or tokens in any sliding window of <see cref="Window"/>.</summary>
/// <param name="Value">The limit, at least 1.</param>
internal sealed record RateLimit(RateLimitType Type, RateLimitUnit Unit, long Value)
{
    /// <summary>1 second, 1 minute, 1 hour, 1 day or 7 days, as Portkey maps its units (it has no week; we add one).</summary>
    public TimeSpan Window => WindowOf(Unit);

    public static TimeSpan WindowOf(RateLimitUnit unit) => unit switch
    {
        RateLimitUnit.Rps => TimeSpan.FromSeconds(1),
        RateLimitUnit.Rpm => TimeSpan.FromMinutes(1),
        RateLimitUnit.Rph => TimeSpan.FromHours(1),
        RateLimitUnit.Rpd => TimeSpan.FromDays(1),
        RateLimitUnit.Rpw => TimeSpan.FromDays(7),
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown rate-limit unit."),
    };
}
