namespace Portcullis.Limits;

/// <summary>
/// Sliding-window rate-limit counters shared by every call of a key. The in-memory implementation serves one instance; a
/// shared store (Redis) can implement the same contract for several.
/// </summary>
/// <remarks>
/// A requests rule admits a call when one more request fits (used + 1 &lt;= value) and counts it at once; a refused,
/// failed or abandoned call keeps its request counted. A tokens rule admits a call while anything is left
/// (used &lt; value) and reserves the expected tokens; a call known to need more than is left still goes, because its
/// real count is known only afterwards: the limit applies to the next call. Settling moves the reservation to the real
/// count.
/// </remarks>
internal interface IRateLimitCounters
{
    /// <summary>Applies every rule or none, atomically with respect to other calls.</summary>
    /// <param name="expectedTokens">Tokens to reserve against each tokens rule (0 or more).</param>
    ValueTask<RateDecision> TryAcquireAsync(IReadOnlyList<RateLimitRule> rules, long expectedTokens, CancellationToken ct);

    /// <summary>
    /// Moves the lease's token reservation to <paramref name="actualTokens"/>: pass the real count after the answer, or
    /// 0 to release the reservation of a call that produced nothing. Only the first call per lease counts; later ones
    /// change nothing. Returns where the lease's rules stand afterwards.
    /// </summary>
    ValueTask<RateSnapshot> SettleAsync(RateLease lease, long actualTokens, CancellationToken ct);
}
