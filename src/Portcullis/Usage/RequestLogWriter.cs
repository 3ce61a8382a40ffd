using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Diagnostics;
using Portcullis.Storage;

namespace Portcullis.Usage;

/// <summary>
/// Writes request logs behind the request: the data plane hands a record to a channel and moves on; this service
/// writes them in batches, one transaction each, and drains the channel on shutdown so nothing accepted is lost.
/// </summary>
internal sealed class RequestLogWriter(IGatewayStore store, ILogger<RequestLogWriter> logger) : BackgroundService
{
    private readonly Channel<RequestLogRecord> _channel = Channel.CreateUnbounded<RequestLogRecord>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(20);

    public void Enqueue(RequestLogRecord record) => _channel.Writer.TryWrite(record);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<RequestLogRecord>(256);
        ChannelReader<RequestLogRecord> reader = _channel.Reader;

        // The loop ends when the channel is completed and empty, not on the stopping token: a stop drains first.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 500 && reader.TryRead(out RequestLogRecord? record))
            {
                batch.Add(record);
            }

            // Under load, a short wait gathers a bigger batch: one commit (and one fsync) for many requests.
            if (batch.Count < 500 && !reader.Completion.IsCompleted)
            {
                await Task.Delay(BatchWindow, CancellationToken.None);
                while (batch.Count < 500 && reader.TryRead(out RequestLogRecord? record))
                {
                    batch.Add(record);
                }
            }

            // A locked or failing database never stops the gateway: the batch waits and is tried again.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await store.InsertRequestLogsAsync(batch, CancellationToken.None);
                    break;
                }
                catch (Exception e)
                {
                    GatewayLog.UsageWriteFailed(logger, e, batch.Count);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 5000)), CancellationToken.None);
                }
            }

            batch.Clear();
        }
    }
}
