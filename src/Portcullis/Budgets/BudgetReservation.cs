namespace Portcullis.Budgets;

/// <summary>
/// The amounts one request holds against its budgets between admission and settlement. Settling or releasing it twice
/// changes nothing: the first call wins.
/// </summary>
internal sealed class BudgetReservation(IReadOnlyList<BudgetClaim> claims, object?[]? holders = null)
{
    private int _closed;

    public static readonly BudgetReservation None = new([]);

    public IReadOnlyList<BudgetClaim> Claims => claims;

    /// <summary>
    /// What holds each claim, for the ledger that made the reservation (the embedded ledger keeps its live accounts
    /// here, so a budget removed and set again meanwhile is not touched by requests admitted under the old one).
    /// </summary>
    public object?[] Holders { get; } = holders ?? new object?[claims.Count];

    /// <summary>Marks the reservation closed; true only for the first caller.</summary>
    public bool TryClose() => Interlocked.Exchange(ref _closed, 1) == 0;
}
