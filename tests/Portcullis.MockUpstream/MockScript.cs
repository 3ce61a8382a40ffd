using System.Text;

namespace Portcullis.MockUpstream;

/// <summary>
/// How the mock answers one request instead of its default OpenAI behaviour. Build one with the static factories
/// and queue it with <see cref="MockUpstreamServer.Enqueue"/>. A script answers any path and ignores the API key.
/// Scripts are immutable, so one instance may be queued several times.
/// </summary>
public sealed class MockScript
{
    private const string EventStream = "text/event-stream; charset=utf-8";

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    private MockScript(MockScriptEnding ending, IReadOnlyList<byte[]> slices)
    {
        Ending = ending;
        Slices = slices;
    }

    internal int Status { get; private init; } = 200;

    internal bool SendsHeaders { get; private init; } = true;

    internal string? ContentType { get; private init; }

    internal bool SetsContentLength { get; private init; }

    internal IReadOnlyDictionary<string, string> Headers { get; private init; } = NoHeaders;

    internal IReadOnlyList<byte[]> Slices { get; }

    internal TimeSpan DelayBeforeHeaders { get; private init; }

    internal TimeSpan DelayBetweenSlices { get; private init; }

    internal MockScriptEnding Ending { get; }

    internal int? PromptTokens { get; private init; }

    internal int? CompletionTokens { get; private init; }

    /// <summary>
    /// Answers with <paramref name="status"/>, the given headers and <paramref name="json"/> as the whole body
    /// (with a Content-Length). Content-Type is <c>application/json</c> unless <paramref name="headers"/> sets it.
    /// Nothing is sent until <paramref name="delay"/> has passed (default: no delay).
    /// </summary>
    public static MockScript Json(
        int status,
        string json,
        IReadOnlyDictionary<string, string>? headers = null,
        TimeSpan delay = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 100);
        ArgumentNullException.ThrowIfNull(json);

        return new MockScript(MockScriptEnding.Complete, [Encoding.UTF8.GetBytes(json)])
        {
            Status = status,
            ContentType = "application/json",
            SetsContentLength = true,
            Headers = headers ?? NoHeaders,
            DelayBeforeHeaders = delay,
        };
    }

    /// <summary>
    /// Answers 200 <c>text/event-stream</c>: after <paramref name="delayBeforeHeaders"/> the headers are flushed,
    /// then one <c>data: {payload}\n\n</c> frame per payload, each flushed on its own and separated by
    /// <paramref name="delayBetweenFrames"/>, then <c>data: [DONE]\n\n</c> unless <paramref name="includeDone"/> is
    /// false. Payloads are written verbatim, so a test can send malformed frames on purpose.
    /// </summary>
    public static MockScript Sse(
        IEnumerable<string> dataPayloads,
        TimeSpan delayBeforeHeaders = default,
        TimeSpan delayBetweenFrames = default,
        bool includeDone = true)
    {
        List<byte[]> frames = ToFrames(dataPayloads);
        if (includeDone)
        {
            frames.Add("data: [DONE]\n\n"u8.ToArray());
        }

        return new MockScript(MockScriptEnding.Complete, frames)
        {
            ContentType = EventStream,
            DelayBeforeHeaders = delayBeforeHeaders,
            DelayBetweenSlices = delayBetweenFrames,
        };
    }

    /// <summary>
    /// Answers <paramref name="status"/> with <paramref name="contentType"/> and writes each slice verbatim with a
    /// flush after it, <paramref name="delayBetween"/> apart. Use it to split a frame, or a UTF-8 character, at a
    /// chosen byte offset. The body is chunked (no Content-Length).
    /// </summary>
    public static MockScript RawSlices(
        IEnumerable<byte[]> slices,
        string contentType = "text/event-stream",
        TimeSpan delayBetween = default,
        int status = 200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 100);

        return new MockScript(MockScriptEnding.Complete, CopySlices(slices))
        {
            Status = status,
            ContentType = contentType,
            DelayBetweenSlices = delayBetween,
        };
    }

    /// <summary>Reads the request, then never writes a byte (not even headers) until the client goes away.</summary>
    public static MockScript Hang() => new(MockScriptEnding.Hang, []) { SendsHeaders = false };

    /// <summary>
    /// Sends 200 <c>text/event-stream</c> headers and one frame per payload (no <c>[DONE]</c>), then keeps the
    /// connection open in silence until the client goes away.
    /// </summary>
    public static MockScript SseThenHang(IEnumerable<string> dataPayloads) =>
        new(MockScriptEnding.Hang, ToFrames(dataPayloads)) { ContentType = EventStream };

    /// <summary>
    /// Sends 200 <c>text/event-stream</c> headers, writes each slice with a flush, then aborts the TCP connection
    /// mid-response (<see cref="HttpContext.Abort"/>). With no slices the connection is aborted before any byte of
    /// a response, status line included, is sent.
    /// </summary>
    public static MockScript CloseAfter(IEnumerable<byte[]> slices)
    {
        IReadOnlyList<byte[]> copied = CopySlices(slices);
        return new MockScript(MockScriptEnding.Abort, copied)
        {
            ContentType = EventStream,
            SendsHeaders = copied.Count > 0,
        };
    }

    /// <summary>
    /// Returns a copy of this script that adds the given token counts to
    /// <see cref="MockUpstreamServer.TotalPromptTokens"/> and <see cref="MockUpstreamServer.TotalCompletionTokens"/>
    /// when it is served (counted as the request is taken, before any byte of the answer is sent). Scripts without
    /// it count nothing, whatever usage their body carries.
    /// </summary>
    public MockScript WithUsage(int promptTokens, int completionTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);

        return new MockScript(Ending, Slices)
        {
            Status = Status,
            SendsHeaders = SendsHeaders,
            ContentType = ContentType,
            SetsContentLength = SetsContentLength,
            Headers = Headers,
            DelayBeforeHeaders = DelayBeforeHeaders,
            DelayBetweenSlices = DelayBetweenSlices,
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
        };
    }

    private static List<byte[]> ToFrames(IEnumerable<string> payloads)
    {
        ArgumentNullException.ThrowIfNull(payloads);

        var frames = new List<byte[]>();
        foreach (string payload in payloads)
        {
            frames.Add(Encoding.UTF8.GetBytes("data: " + payload + "\n\n"));
        }

        return frames;
    }

    private static byte[][] CopySlices(IEnumerable<byte[]> slices)
    {
        ArgumentNullException.ThrowIfNull(slices);
        return [.. slices.Select(slice => (byte[])slice.Clone())];
    }
}
