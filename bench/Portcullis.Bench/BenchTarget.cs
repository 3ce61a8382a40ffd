using System.Diagnostics;
using System.Net;
using System.Text;

namespace Portcullis.Bench;

/// <summary>
/// One side of the comparison: a URL, the headers that authenticate there, and the pooled client that sends to it.
/// Requests are the same bytes on every side; only the authentication headers differ.
/// </summary>
internal sealed class BenchTarget
{
    /// <summary>Header that makes the mock space its stream frames (also sent to the gateway, which drops it).</summary>
    public const string PaceHeader = "x-mock-pace-ms";

    public const string PaceMilliseconds = "5";

    /// <summary>The model every OpenAI-format request names (the governance rows give it a price).</summary>
    public const string Model = "gpt-4o-mini";

    private const int FailureSampleChars = 200;

    private static readonly byte[] ChatBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"You are a terse assistant."},""" +
        """{"role":"user","content":"Say something about gateways."}],"max_tokens":256}""");

    private static readonly byte[] StreamBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"You are a terse assistant."},""" +
        """{"role":"user","content":"Say something about gateways."}],"max_tokens":256,"stream":true}""");

    private static readonly byte[] AnthropicBody = Encoding.UTF8.GetBytes(
        """{"model":"claude-sonnet-4","system":"You are a terse assistant.","max_tokens":256,"stream":true,"messages":""" +
        """[{"role":"user","content":"Say something about gateways."}]}""");

    private static readonly byte[] MessageStopFrame = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"u8.ToArray();

    /// <summary>Sends Anthropic's own request format (the direct side of <see cref="Payload.AnthropicStream"/>).</summary>
    public bool SpeaksAnthropic { get; init; }

    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly (string Name, string Value)[] _headers;

    public BenchTarget(string name, HttpClient client, Uri uri, params (string Name, string Value)[] headers)
    {
        Name = name;
        _client = client;
        _uri = uri;
        _headers = headers;
    }

    public string Name { get; }

    /// <summary>A client for one server: no proxy (all traffic stays on loopback), no decompression, a pool as large as the load.</summary>
    public static HttpClient CreateClient(int connections) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>
    /// Sends one request and reads the answer to the end into <paramref name="buffer"/>. Failures (a status other than
    /// 200, a stream without <c>[DONE]</c>, a transport error, a timeout) come back as values; only
    /// <paramref name="cancellationToken"/> throws.
    /// </summary>
    public async Task<Exchange> SendAsync(Payload payload, byte[] buffer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri)
        {
            Content = new ByteArrayContent(payload == Payload.Chat ? ChatBody : SpeaksAnthropic ? AnthropicBody : StreamBody),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        foreach ((string name, string value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (payload == Payload.PacedStream)
        {
            request.Headers.TryAddWithoutValidation(PaceHeader, PaceMilliseconds);
        }

        long started = Stopwatch.GetTimestamp();
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(
                request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                string text = await response.Content.ReadAsStringAsync(cancellationToken);
                return Exchange.Failed(started, $"HTTP {(int)response.StatusCode}", Shorten(text));
            }

            await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
            if (payload == Payload.Chat)
            {
                while (await body.ReadAsync(buffer, cancellationToken) > 0)
                {
                }

                long done = Stopwatch.GetTimestamp();
                return new Exchange(started, done, 0, 0, 0, null, null);
            }

            // A stream: note when the first and the last frame were complete.
            var scan = new SseScan();
            long firstFrame = 0;
            long lastFrame = 0;
            int frames = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                long now = Stopwatch.GetTimestamp();
                int completed = scan.Add(buffer.AsSpan(0, read));
                if (completed > 0)
                {
                    firstFrame = frames == 0 ? now : firstFrame;
                    lastFrame = now;
                    frames += completed;
                }
            }

            long finished = Stopwatch.GetTimestamp();
            bool ended = SpeaksAnthropic ? scan.EndedWith(MessageStopFrame) : scan.EndedWithDone;
            return ended
                ? new Exchange(started, finished, firstFrame, lastFrame, frames, null, null)
                : Exchange.Failed(started, "stream ended without [DONE]", $"{frames} frames");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is HttpRequestException or IOException or OperationCanceledException)
        {
            string kind = e switch
            {
                HttpRequestException http => $"{nameof(HttpRequestException)} ({http.HttpRequestError})",
                OperationCanceledException => "timeout (30 s)",
                _ => e.GetType().Name,
            };
            return Exchange.Failed(started, kind, Shorten(e.Message));
        }
    }

    private static string Shorten(string text) =>
        text.Length <= FailureSampleChars ? text : string.Concat(text.AsSpan(0, FailureSampleChars), "...");
}
