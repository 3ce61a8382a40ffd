namespace Portcullis.Limits;

/// <summary>
/// One rate limit to apply to a call. Calls share usage when they share <paramref name="CounterKey"/> and the limit's
/// type and unit; the value is read on every call, so changing a limit keeps the usage already counted.
/// </summary>
/// <param name="CounterKey">Who is counted, such as <c>vk:{slug}</c> or <c>ak:{id}</c>.</param>
/// <param name="OwnerDescription">Who the limit belongs to, for the refusal message (no secret in it).</param>
/// <param name="ErrorType">The error type a refusal answers with, such as <c>virtual_key_rate_limit_error</c>.</param>
internal sealed record RateLimitRule(string CounterKey, RateLimit Limit, string OwnerDescription, string ErrorType);
