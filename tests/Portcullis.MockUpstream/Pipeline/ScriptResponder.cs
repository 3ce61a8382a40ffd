namespace Portcullis.MockUpstream.Pipeline;

/// <summary>Plays one <see cref="MockScript"/> onto a response.</summary>
internal static class ScriptResponder
{
    // Kestrel drops output still queued when a connection is aborted; this lets the last slice reach the socket.
    private static readonly TimeSpan DrainBeforeAbort = TimeSpan.FromMilliseconds(50);

    public static async Task RunAsync(HttpContext context, MockScript script, ExchangeWatch watch, UsageLedger ledger)
    {
        HttpResponse response = context.Response;
        CancellationToken ct = context.RequestAborted;

        // 1. Count the usage the script stands for before the client can see any of it.
        if (script.PromptTokens is not null || script.CompletionTokens is not null)
        {
            ledger.Add(script.PromptTokens ?? 0, script.CompletionTokens ?? 0);
        }

        // 2. Wait, then send status and headers (a streaming script flushes them at once).
        await DelayAsync(script.DelayBeforeHeaders, ct).ConfigureAwait(false);
        if (script.SendsHeaders)
        {
            response.StatusCode = script.Status;
            if (script.ContentType is not null)
            {
                response.ContentType = script.ContentType;
            }

            foreach (KeyValuePair<string, string> header in script.Headers)
            {
                response.Headers[header.Key] = header.Value;
            }

            if (script.SetsContentLength && !response.Headers.ContainsKey("Content-Length"))
            {
                response.ContentLength = script.Slices.Sum(slice => (long)slice.Length);
            }
            else if (!script.SetsContentLength)
            {
                await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
            }
        }

        // 3. The body, one flushed slice at a time.
        for (int i = 0; i < script.Slices.Count; i++)
        {
            if (i > 0)
            {
                await DelayAsync(script.DelayBetweenSlices, ct).ConfigureAwait(false);
            }

            await response.BodyWriter.WriteAsync(script.Slices[i], ct).ConfigureAwait(false);
        }

        // 4. End as the script says.
        switch (script.Ending)
        {
            case MockScriptEnding.Hang:
                await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
                break;

            case MockScriptEnding.Abort:
                if (script.Slices.Count > 0)
                {
                    await Task.Delay(DrainBeforeAbort, ct).ConfigureAwait(false);
                }

                watch.AbortingOnPurpose();
                context.Abort();
                break;

            default:
                break;
        }
    }

    private static Task DelayAsync(TimeSpan delay, CancellationToken ct) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, ct) : Task.CompletedTask;
}
