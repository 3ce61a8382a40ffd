using Portcullis.Forwarding;
using Portcullis.Limits;

namespace Portcullis.Governance;

/// <summary>Turns a rate-limit refusal into the reference's 429 error.</summary>
internal static class RateMessages
{
    public static GatewayError Refusal(RateDecision decision)
    {
        RateLimitRule rule = decision.RefusedBy!;
        string what = rule.Limit.Type == RateLimitType.Requests ? "requests" : "tokens";
        return new GatewayError(429, rule.ErrorType, "rate_limit_exceeded",
            $"Rate limit of {rule.OwnerDescription} reached: {rule.Limit.Value} {what} per {Window(rule.Limit.Window)}. " +
            $"Try again in {Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds))} s.");
    }

    private static string Window(TimeSpan window) => window.TotalSeconds switch
    {
        1 => "second",
        60 => "minute",
        3600 => "hour",
        86_400 => "day",
        _ => window.TotalDays + " days",
    };
}
