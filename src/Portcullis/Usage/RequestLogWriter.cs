using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Diagnostics;
using Portcullis.Storage;

namespace Portcullis.Usage;

/// <summary>
/// The usage ledger's single writer. The data plane hands it steps and moves on; it writes them in batches, one
/// transaction (and one fsync) each, in the order they came. A step somebody waits for (a pending record before an
/// upstream call) is written at once, with whatever else is queued (group commit); otherwise a short wait gathers a
/// bigger batch. A stop drains the queue first, so nothing accepted is lost.
/// </summary>
internal sealed class RequestLogWriter(IGatewayStore store, ILogger<RequestLogWriter> logger) : BackgroundService
{
    private const int MaxBatch = 500;

    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(20);

    private readonly Channel<LedgerEntry> _channel = Channel.CreateUnbounded<LedgerEntry>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    // A step somebody waits for cuts the batching pause short: it is set when one is queued, and the pause ends.
    private int _awaitedQueued;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Enqueue(LedgerEntry entry)
    {
        if (!_channel.Writer.TryWrite(entry))
        {
            entry.Durable?.TrySetException(new InvalidOperationException("The usage ledger is shut down."));
            return;
        }

        if (entry.Durable is not null)
        {
            Volatile.Write(ref _awaitedQueued, 1);
            Volatile.Read(ref _wake).TrySetResult();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<LedgerEntry>(MaxBatch);
        ChannelReader<LedgerEntry> reader = _channel.Reader;

        // The loop ends when the channel is completed and empty, not on the stopping token: a stop drains first.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            Volatile.Write(ref _awaitedQueued, 0);
            bool awaited = Drain(reader, batch);

            // Nobody waiting: a short pause gathers a bigger batch under load, unless a waited-for step arrives.
            if (!awaited && batch.Count < MaxBatch && !reader.Completion.IsCompleted)
            {
                var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _wake, wake);
                if (Volatile.Read(ref _awaitedQueued) == 0)
                {
                    await Task.WhenAny(Task.Delay(BatchWindow, CancellationToken.None), wake.Task);
                }

                Drain(reader, batch);
            }

            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private static bool Drain(ChannelReader<LedgerEntry> reader, List<LedgerEntry> batch)
    {
        bool awaited = false;
        while (batch.Count < MaxBatch && reader.TryRead(out LedgerEntry? entry))
        {
            batch.Add(entry);
            awaited |= entry.Durable is not null;
        }

        foreach (LedgerEntry entry in batch)
        {
            awaited |= entry.Durable is not null;
        }

        return awaited;
    }

    private async Task WriteAsync(List<LedgerEntry> batch)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await store.WriteLedgerAsync(batch, CancellationToken.None);
                foreach (LedgerEntry entry in batch)
                {
                    entry.Durable?.TrySetResult();
                }

                return;
            }
            catch (Exception e)
            {
                GatewayLog.UsageWriteFailed(logger, e, batch.Count);

                // Whoever waits is told at once (a request is refused rather than left hanging), and its step is
                // dropped so a refused request leaves nothing pending; the rest is tried again.
                foreach (LedgerEntry entry in batch)
                {
                    entry.Durable?.TrySetException(e);
                }

                batch.RemoveAll(entry => entry.Durable is not null);
                if (batch.Count == 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 5000)), CancellationToken.None);
            }
        }
    }
}
