namespace Portcullis.Bench;

/// <summary>
/// One request at a time, alternating between two sides (and which side goes first, so neither always follows the
/// other), so both see the same machine state throughout.
/// </summary>
internal static class InterleavedRun
{
    private const int ReadBufferBytes = 16 * 1024;

    /// <summary>Sends <paramref name="count"/> requests to each side after an unrecorded warm-up of a tenth as many.</summary>
    public static async Task<(SideSamples Direct, SideSamples Gateway)> RunAsync(
        BenchTarget direct, BenchTarget gateway, Payload payload, int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[ReadBufferBytes];

        // 1. Warm-up.
        int warmUp = Math.Max(10, count / 10);
        for (int i = 0; i < warmUp; i++)
        {
            await direct.SendAsync(payload, buffer, cancellationToken);
            await gateway.SendAsync(payload, buffer, cancellationToken);
        }

        // 2. Measured pairs.
        var directSamples = new SideSamples();
        var gatewaySamples = new SideSamples();
        for (int i = 0; i < count; i++)
        {
            bool directFirst = i % 2 == 0;
            await SendAsync(directFirst ? direct : gateway, directFirst ? directSamples : gatewaySamples);
            await SendAsync(directFirst ? gateway : direct, directFirst ? gatewaySamples : directSamples);
        }

        return (directSamples, gatewaySamples);

        async Task SendAsync(BenchTarget target, SideSamples samples)
        {
            Exchange exchange = await target.SendAsync(payload, buffer, cancellationToken);
            if (exchange.Ok)
            {
                samples.Ok.Add(exchange);
            }
            else
            {
                samples.Failures.Add(exchange);
            }
        }
    }
}
