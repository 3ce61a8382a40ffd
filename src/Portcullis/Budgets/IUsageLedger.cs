using Portcullis.Limits;
using Portcullis.Storage;

namespace Portcullis.Budgets;

/// <summary>
/// Budgets and the usage record of every request. The embedded implementation keeps live state in process and writes
/// through to SQLite; a shared-store implementation (Redis counters, PostgreSQL rows) can take its place without
/// changing the data plane or the admin API.
/// </summary>
internal interface IUsageLedger
{
    /// <summary>Reserves every claim in one atomic step, or none of them.</summary>
    ValueTask<BudgetDecision> ReserveAsync(IReadOnlyList<BudgetClaim> claims, CancellationToken cancellationToken);

    /// <summary>Gives back what a reservation holds (the request was refused before it reached the upstream).</summary>
    ValueTask ReleaseAsync(BudgetReservation reservation);

    /// <summary>Writes the request's pending record, with what it holds, durably; completes once it is on disk.</summary>
    Task WritePendingAsync(RequestLogRecord pending, BudgetReservation reservation, CancellationToken cancellationToken);

    /// <summary>
    /// Settles the reservation to the real usage and completes the record, together, behind the request. Idempotent:
    /// a reservation settles once.
    /// </summary>
    void Complete(RequestLogRecord record, BudgetReservation reservation, long actualCost, long actualTokens);

    /// <summary>
    /// Notes, behind the request, what a request under way has used so far (a long stream), so a crash settles it
    /// from that instead of its worst case.
    /// </summary>
    void Checkpoint(string requestId, BudgetReservation reservation, long costSoFar, long tokensSoFar);

    /// <summary>Records a request that held nothing (refused before admission).</summary>
    void Record(RequestLogRecord record);

    ValueTask<BudgetStatus> ReadAsync(BudgetOwner owner, UsageLimit limit, CancellationToken cancellationToken);

    /// <summary>Applies an owner's new budget configuration; <paramref name="resetUsage"/> zeroes the current period.</summary>
    Task ConfigureAsync(BudgetOwner owner, IReadOnlyList<UsageLimit> limits, bool resetUsage, CancellationToken cancellationToken);

    Task RemoveAsync(BudgetOwner owner, CancellationToken cancellationToken);
}
