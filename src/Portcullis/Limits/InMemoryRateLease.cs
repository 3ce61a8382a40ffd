namespace Portcullis.Limits;

/// <summary>
/// A lease of <see cref="InMemoryRateLimitCounters"/>: the bucket of each tokens counter that holds this call's reservation.
/// </summary>
internal sealed class InMemoryRateLease : RateLease
{
    public InMemoryRateLease(
        IReadOnlyList<RateLimitRule> rules,
        long reservedTokens,
        IReadOnlyList<(RateCounterId Counter, long Bucket)> reservations)
        : base(rules, reservedTokens)
    {
        Reservations = reservations;
    }

    public IReadOnlyList<(RateCounterId Counter, long Bucket)> Reservations { get; }
}
