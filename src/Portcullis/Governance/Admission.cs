using Portcullis.Budgets;
using Portcullis.Forwarding;
using Portcullis.Limits;
using Portcullis.Pricing;

namespace Portcullis.Governance;

/// <summary>
/// What admission decided for one request: a refusal (with the wait a client should take), or the budget reservation
/// and rate-limit lease the request holds until it settles, with what settling needs (price, counted prompt tokens).
/// </summary>
internal sealed class Admission
{
    public static readonly Admission Free = new();

    public GatewayError? Refusal { get; init; }

    /// <summary>How long the client should wait before trying again, when that is known.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public BudgetReservation Reservation { get; init; } = BudgetReservation.None;

    public RateLease? Lease { get; init; }

    /// <summary>The rate-limit state for the response headers; null when no rate limit applies.</summary>
    public RateSnapshot? Rates { get; set; }

    /// <summary>The model's price, when the catalog knows it.</summary>
    public ModelPrice? Price { get; init; }

    /// <summary>The request's input tokens as Portcullis counted them, when it had to count them.</summary>
    public int? PromptTokens { get; init; }
}
