using System.Diagnostics.CodeAnalysis;

namespace Portcullis.Limits;

/// <summary>The answer to one call's rate limits: admitted with a lease, or refused by one rule with a time to wait.</summary>
internal sealed class RateDecision
{
    private RateDecision(RateLease? lease, RateLimitRule? refusedBy, TimeSpan retryAfter, RateSnapshot snapshot)
    {
        Lease = lease;
        RefusedBy = refusedBy;
        RetryAfter = retryAfter;
        Snapshot = snapshot;
    }

    [MemberNotNullWhen(true, nameof(Lease))]
    [MemberNotNullWhen(false, nameof(RefusedBy))]
    public bool Admitted => Lease is not null;

    public RateLease? Lease { get; }

    /// <summary>The refusing rule; when several refuse, the one with the longest wait.</summary>
    public RateLimitRule? RefusedBy { get; }

    /// <summary>When refused, the time until the refusing rule has room again: above zero, at most its window.</summary>
    public TimeSpan RetryAfter { get; }

    public RateSnapshot Snapshot { get; }

    public static RateDecision Admit(RateLease lease, RateSnapshot snapshot) => new(lease, null, TimeSpan.Zero, snapshot);

    public static RateDecision Refuse(RateLimitRule rule, TimeSpan retryAfter, RateSnapshot snapshot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retryAfter, TimeSpan.Zero);
        return new(null, rule, retryAfter, snapshot);
    }
}
