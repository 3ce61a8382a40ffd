using System.Collections.Concurrent;
using System.Diagnostics;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Pipeline;

/// <summary>The mock's single terminal middleware: read and record the request, then answer it.</summary>
internal sealed class MockRequestPipeline(
    RequestJournal journal,
    ConcurrentQueue<MockScript> scripts,
    UsageLedger ledger,
    OpenAIEmulator emulator,
    TimeProvider time,
    bool benchmark,
    CancellationToken stopping)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DateTimeOffset receivedAt = time.GetUtcNow();

        // 1. Take the whole body first: a request is on record before any of it is answered.
        RequestBody body = await RequestBody.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (benchmark)
        {
            await AnswerUnrecordedAsync(context, body, started).ConfigureAwait(false);
            return;
        }

        RecordedRequest record = RecordedRequest.From(context, body.Bytes, receivedAt);
        journal.Add(record);
        if (!body.Complete)
        {
            record.MarkDisconnected(time.GetUtcNow());
            return;
        }

        // 2. From here on a client that goes away is noted on the record; a server shutdown cuts the answer short.
        var watch = new ExchangeWatch(record, time, stopping);
        using CancellationTokenRegistration onAborted = context.RequestAborted.UnsafeRegister(
            static state => ((ExchangeWatch)state!).OnRequestAborted(), watch);
        using CancellationTokenRegistration onStopping = stopping.UnsafeRegister(
            static state => ((HttpContext)state!).Abort(), context);

        // 3. Answer from the next script, else as OpenAI would.
        try
        {
            if (scripts.TryDequeue(out MockScript? script))
            {
                await ScriptResponder.RunAsync(context, script, watch, ledger).ConfigureAwait(false);
            }
            else
            {
                await emulator.AnswerAsync(context, body.Bytes, started).ConfigureAwait(false);
            }

            // Finished before completing: a client that reads the last byte and hangs up has not dropped us.
            watch.Finish();
            await context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAbort(context, ex))
        {
            // The connection is gone; the record already says who closed it.
        }
        finally
        {
            watch.Finish();
        }
    }

    private async Task AnswerUnrecordedAsync(HttpContext context, RequestBody body, long started)
    {
        if (!body.Complete)
        {
            return;
        }

        try
        {
            await emulator.AnswerAsync(context, body.Bytes, started).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsAbort(context, ex))
        {
            // The benchmark client went away; nothing to note.
        }
    }

    private static bool IsAbort(HttpContext context, Exception ex) =>
        context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException;
}
