using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The response headers OpenAI sends with its answers, with fixed rate-limit values.</summary>
internal static class OpenAIHeaders
{
    private static readonly StringValues Version = "2020-10-01";
    private static readonly StringValues LimitRequests = "10000";
    private static readonly StringValues LimitTokens = "30000000";
    private static readonly StringValues RemainingRequests = "9999";
    private static readonly StringValues RemainingTokens = "29999000";
    private static readonly StringValues ResetRequests = "6ms";
    private static readonly StringValues ResetTokens = "2ms";

    public static void AddTo(HttpResponse response, long startedTimestamp)
    {
        IHeaderDictionary headers = response.Headers;
        long elapsedMs = (long)Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;

        headers["x-request-id"] = NewRequestId();
        headers["openai-version"] = Version;
        headers["openai-processing-ms"] = elapsedMs.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-limit-requests"] = LimitRequests;
        headers["x-ratelimit-limit-tokens"] = LimitTokens;
        headers["x-ratelimit-remaining-requests"] = RemainingRequests;
        headers["x-ratelimit-remaining-tokens"] = RemainingTokens;
        headers["x-ratelimit-reset-requests"] = ResetRequests;
        headers["x-ratelimit-reset-tokens"] = ResetTokens;
    }

    public static void AddToError(HttpResponse response)
    {
        response.Headers["x-request-id"] = NewRequestId();
        response.Headers["openai-version"] = Version;
    }

    private static string NewRequestId()
    {
        Span<byte> random = stackalloc byte[16];
        Random.Shared.NextBytes(random);
        return "req_" + Convert.ToHexStringLower(random);
    }
}
