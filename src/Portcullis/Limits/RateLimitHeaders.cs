using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Portcullis.Limits;

/// <summary>
/// Writes rate-limit state the way OpenAI does: <c>x-ratelimit-limit-*</c>, <c>x-ratelimit-remaining-*</c> and
/// <c>x-ratelimit-reset-*</c> for requests and tokens, the reset as a duration such as <c>1s</c>, <c>6m0s</c> or
/// <c>20ms</c>; and <c>Retry-After</c> on a refusal.
/// </summary>
internal static class RateLimitHeaders
{
    public static void Apply(IHeaderDictionary headers, RateSnapshot snapshot)
    {
        if (snapshot.Requests is { } requests)
        {
            Apply(headers, "requests", requests);
        }

        if (snapshot.Tokens is { } tokens)
        {
            Apply(headers, "tokens", tokens);
        }
    }

    /// <summary>
    /// Sets <c>Retry-After</c> in whole seconds, rounded up and at least 1, and <c>retry-after-ms</c>, which the OpenAI
    /// SDKs read first, in milliseconds.
    /// </summary>
    public static void ApplyRetryAfter(IHeaderDictionary headers, TimeSpan wait)
    {
        headers.RetryAfter = RetryAfterSeconds(wait).ToString(CultureInfo.InvariantCulture);
        headers["retry-after-ms"] = Math.Max(1, CeilingDiv(wait.Ticks, TimeSpan.TicksPerMillisecond))
            .ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A wait in whole seconds for <c>Retry-After</c>: rounded up, at least 1.</summary>
    public static long RetryAfterSeconds(TimeSpan wait) => Math.Max(1, CeilingDiv(wait.Ticks, TimeSpan.TicksPerSecond));

    /// <summary>
    /// A duration as OpenAI writes its reset headers (Go's notation) to the millisecond, rounded up: <c>0s</c>,
    /// <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h0m0s</c>.
    /// </summary>
    public static string FormatDuration(TimeSpan span)
    {
        long ms = CeilingDiv(span.Ticks, TimeSpan.TicksPerMillisecond);
        if (ms <= 0)
        {
            return "0s";
        }

        if (ms < 1000)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        long hours = ms / 3_600_000, minutes = ms / 60_000 % 60, seconds = ms / 1000 % 60, fraction = ms % 1000;
        var text = new StringBuilder();
        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        text.Append(seconds.ToString(CultureInfo.InvariantCulture));
        if (fraction > 0)
        {
            text.Append('.').Append(fraction.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }

        return text.Append('s').ToString();
    }

    private static void Apply(IHeaderDictionary headers, string kind, RateWindowStatus status)
    {
        headers["x-ratelimit-limit-" + kind] = status.Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-" + kind] = status.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-" + kind] = FormatDuration(status.ResetAfter);
    }

    private static long CeilingDiv(long value, long divisor) => value <= 0 ? 0 : (value - 1) / divisor + 1;
}
