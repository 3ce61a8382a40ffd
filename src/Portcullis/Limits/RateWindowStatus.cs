namespace Portcullis.Limits;

/// <summary>Where one rate limit stands, for the <c>x-ratelimit-*</c> headers.</summary>
/// <param name="Limit">The rule's value.</param>
/// <param name="Remaining">What is left in the window now, never below zero.</param>
/// <param name="ResetAfter">
/// The time until everything counted now has left the window (the counter is back to its initial state, as OpenAI
/// defines its reset headers); zero when nothing is counted.
/// </param>
internal sealed record RateWindowStatus(long Limit, long Remaining, TimeSpan ResetAfter);
