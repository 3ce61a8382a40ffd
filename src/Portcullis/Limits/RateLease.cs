namespace Portcullis.Limits;

/// <summary>
/// What an admitted call holds: its rules and the tokens reserved for it. Hand it back to
/// <see cref="IRateLimitCounters.SettleAsync"/> once the real token count is known; each implementation derives its own
/// lease with what it needs to find the reservation again.
/// </summary>
internal abstract class RateLease
{
    private int settled;

    protected RateLease(IReadOnlyList<RateLimitRule> rules, long reservedTokens)
    {
        Rules = rules;
        ReservedTokens = reservedTokens;
    }

    public IReadOnlyList<RateLimitRule> Rules { get; }

    /// <summary>The tokens reserved against every tokens rule at admission.</summary>
    public long ReservedTokens { get; }

    public bool IsSettled => Volatile.Read(ref settled) != 0;

    /// <summary>True for the first caller only: the one settlement of this lease.</summary>
    public bool TryMarkSettled() => Interlocked.Exchange(ref settled, 1) == 0;
}
