namespace Portcullis.Budgets;

/// <summary>The ledger's answer to a request's claims: a reservation to settle later, or the budget that refused.</summary>
internal readonly record struct BudgetDecision(BudgetReservation? Reservation, BudgetRefusal? Refusal);
