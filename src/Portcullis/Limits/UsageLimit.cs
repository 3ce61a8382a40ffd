namespace Portcullis.Limits;

/// <summary>
/// One budget on a virtual key or gateway API key. For <see cref="UsageLimitType.Cost"/> the amounts are picodollars
/// (<see cref="Pricing.Money"/>); for <see cref="UsageLimitType.Tokens"/> they are tokens.
/// </summary>
/// <param name="CreditLimit">The cap, always greater than zero.</param>
/// <param name="AlertThreshold">Usage that records an alert once per period; below <paramref name="CreditLimit"/>.</param>
/// <param name="Reset">When usage goes back to zero; <see cref="ResetPeriod.None"/> means never.</param>
/// <param name="ResetDays">The length of a <see cref="ResetPeriod.Days"/> period (1 to 365); null for other periods.</param>
/// <param name="Soft">
/// False (the default, "hard"): the worst case of a request is reserved first and a request that could cross the cap is
/// refused. True ("soft"): the request that crosses the cap succeeds and the next one is refused.
/// </param>
internal sealed record UsageLimit(
    UsageLimitType Type, long CreditLimit, long? AlertThreshold, ResetPeriod Reset, int? ResetDays, bool Soft);
