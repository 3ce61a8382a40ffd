using Portcullis.Budgets;
using Portcullis.Storage;

namespace Portcullis.Usage;

/// <summary>
/// One durable step of the usage ledger, written in a single transaction with the others of its batch: a request-log
/// row (pending, or complete), the budget states it changed, and for a pending row the amounts it holds, so start-up
/// can settle them after a crash. <see cref="Durable"/>, when set, completes once the step is on disk.
/// </summary>
internal sealed class LedgerEntry
{
    public RequestLogRecord? Log { get; init; }

    /// <summary>For a pending row: the claims it holds, as JSON; removed when the row completes.</summary>
    public string? Reservation { get; init; }

    /// <summary>
    /// For a request under way: what it has used so far, as JSON (budget id to amount); start-up after a crash settles
    /// a row from this rather than from its worst case. Needs <see cref="Log"/> unset and <see cref="ProgressOf"/> set.
    /// </summary>
    public string? Progress { get; init; }

    public string? ProgressOf { get; init; }

    public IReadOnlyList<BudgetSnapshot>? Budgets { get; init; }

    /// <summary>Budgets to forget (their owner was deleted).</summary>
    public IReadOnlyList<string>? RemovedBudgets { get; init; }

    public TaskCompletionSource? Durable { get; init; }
}
