namespace Portcullis.Budgets;

/// <summary>
/// The amounts one request holds against its budgets between admission and settlement. Settling or releasing it twice
/// changes nothing: the first call wins.
/// </summary>
internal sealed class BudgetReservation(IReadOnlyList<BudgetClaim> claims)
{
    private int _closed;

    public static readonly BudgetReservation None = new([]);

    public IReadOnlyList<BudgetClaim> Claims => claims;

    /// <summary>Marks the reservation closed; true only for the first caller.</summary>
    public bool TryClose() => Interlocked.Exchange(ref _closed, 1) == 0;
}
