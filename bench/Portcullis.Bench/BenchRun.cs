using System.Globalization;

namespace Portcullis.Bench;

/// <summary>The whole run: start both servers, measure every phase side by side, stop both.</summary>
internal static class BenchRun
{
    private const string ChatPath = "v1/chat/completions";

    public static async Task<BenchResults> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        BuildArtifacts artifacts = BuildArtifacts.FromThisAssembly();
        if (!string.Equals(artifacts.Configuration, "Release", StringComparison.OrdinalIgnoreCase))
        {
            Progress.Say($"WARNING: built as {artifacts.Configuration}; run with -c Release for numbers worth reading.");
        }

        // 1. The servers, and the sides: direct with the provider key, Portcullis with a gateway key and virtual key.
        using TestBed bed = await TestBed.StartAsync(artifacts, options, cancellationToken);
        using HttpClient mockClient = BenchTarget.CreateClient(options.Connections);
        using HttpClient gatewayClient = BenchTarget.CreateClient(options.Connections);
        var direct = new BenchTarget("direct", mockClient, new Uri(bed.MockBase, ChatPath),
            ("Authorization", "Bearer " + bed.ProviderKey));
        var directAgain = new BenchTarget("direct, again", mockClient, new Uri(bed.MockBase, ChatPath),
            ("Authorization", "Bearer " + bed.ProviderKey));
        var gateway = new BenchTarget("Portcullis", gatewayClient, new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GatewayApiKey), ("x-portkey-virtual-key", bed.VirtualKeySlug));
        var directAnthropic = new BenchTarget("direct (Anthropic)", mockClient, new Uri(bed.MockBase, "v1/messages"),
            ("x-api-key", bed.ProviderKey), ("anthropic-version", "2023-06-01")) { SpeaksAnthropic = true };
        var gatewayAnthropic = new BenchTarget("Portcullis (Anthropic)", gatewayClient, new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GatewayApiKey), ("x-portkey-virtual-key", bed.AnthropicVirtualKeySlug));
        var governed = new BenchTarget("Portcullis, governed", gatewayClient, new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GovernedApiKey), ("x-portkey-virtual-key", bed.GovernedVirtualKeySlug));
        var plainAgain = new BenchTarget("Portcullis, again", gatewayClient, new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GatewayApiKey), ("x-portkey-virtual-key", bed.VirtualKeySlug));
        var governedAgain = new BenchTarget("Portcullis, governed, again", gatewayClient,
            new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GovernedApiKey), ("x-portkey-virtual-key", bed.GovernedVirtualKeySlug));
        var pacedGateway = new BenchTarget("Portcullis", gatewayClient, new Uri(bed.GatewayBase, ChatPath),
            ("x-portkey-api-key", bed.GatewayApiKey), ("x-portkey-virtual-key", bed.PacedVirtualKeySlug));

        // 2. One request each way first, so a broken setup shows at once (the run goes on regardless).
        await SmokeTestAsync([direct, gateway, governed], cancellationToken);
        var machine = new MachineCpu(bed.Mock.Id, bed.Gateway.Id);
        MachineCpu.Sample? machineAtStart = machine.Take();
        double? loadAtStart = MachineCpu.LoadAverage();

        // 3. Let the JIT settle on both servers (and on the governed path); then throughput, direct then Portcullis for
        //    each payload, and the governed key right after the plain one.
        Progress.Say($"settling: {options.Settle.TotalSeconds:0.#} s of unmeasured load per server and payload");
        foreach (Payload payload in (Payload[])[Payload.Chat, Payload.Stream])
        {
            await ThroughputRun.RunAsync(direct, payload, options.Connections, options.Settle, TimeSpan.FromMilliseconds(100),
                bed.Mock, machine, cancellationToken);
            await ThroughputRun.RunAsync(gateway, payload, options.Connections, options.Settle, TimeSpan.FromMilliseconds(100),
                bed.Gateway, machine, cancellationToken);
        }

        // The governed path is the plain one plus admission and settling: half the time settles what it adds.
        await ThroughputRun.RunAsync(governed, Payload.Chat, options.Connections, options.Settle / 2,
            TimeSpan.FromMilliseconds(100), bed.Gateway, machine, cancellationToken);

        Progress.Say(string.Create(CultureInfo.InvariantCulture, $"throughput: {options.Connections} connections, " +
            $"{options.WarmUp.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s per run"));
        ThroughputResult directChat = await ThroughputAsync(direct, Payload.Chat, bed.Mock);
        ThroughputResult gatewayChat = await ThroughputAsync(gateway, Payload.Chat, bed.Gateway);
        ThroughputResult governedChat = await ThroughputAsync(governed, Payload.Chat, bed.Gateway);
        ThroughputResult directStream = await ThroughputAsync(direct, Payload.Stream, bed.Mock);
        ThroughputResult gatewayStream = await ThroughputAsync(gateway, Payload.Stream, bed.Gateway);
        ThroughputResult directAnthropicStream = await ThroughputAsync(directAnthropic, Payload.AnthropicStream, bed.Mock);
        ThroughputResult gatewayAnthropicStream = await ThroughputAsync(gatewayAnthropic, Payload.AnthropicStream, bed.Gateway);

        // 4. One request at a time, sides alternating; then paced streams (first frame, gaps between frames).
        Progress.Say($"latency: {options.LatencyRequests} requests per side, one at a time, interleaved");
        var chatLatency = await InterleavedRun.RunAsync(
            direct, gateway, Payload.Chat, options.LatencyRequests, cancellationToken);
        var governedLatency = await InterleavedRun.RunAsync(
            gateway, governed, Payload.Chat, options.LatencyRequests, cancellationToken);
        var streamLatency = await InterleavedRun.RunAsync(
            direct, gateway, Payload.Stream, options.LatencyRequests, cancellationToken);
        Progress.Say($"paced streams: {options.PacedStreams} per side, {BenchTarget.PaceMilliseconds} ms between frames");
        var paced = await InterleavedRun.RunAsync(
            direct, pacedGateway, Payload.PacedStream, options.PacedStreams, cancellationToken);

        // 5. Governed then plain again (so drift falls on both alike), then the direct runs again, to show how far the
        //    machine drifted over the run; and what the governed budgets counted, proof that they were in the path.
        ThroughputResult governedChatAgain = await ThroughputAsync(governedAgain, Payload.Chat, bed.Gateway);
        ThroughputResult gatewayChatAgain = await ThroughputAsync(plainAgain, Payload.Chat, bed.Gateway);
        ThroughputResult directChatAgain = await ThroughputAsync(directAgain, Payload.Chat, bed.Mock);
        ThroughputResult directStreamAgain = await ThroughputAsync(directAgain, Payload.Stream, bed.Mock);
        (decimal? spentByVirtualKey, decimal? spentByApiKey) = await bed.GovernedSpendAsync(cancellationToken);

        // 6. Peak memory and the machine's load, read before the servers stop.
        MachineCpu.Sample? machineAtEnd = machine.Take();
        return new BenchResults
        {
            Options = options,
            Configuration = artifacts.Configuration,
            DirectChat = directChat,
            GatewayChat = gatewayChat,
            DirectStream = directStream,
            GatewayStream = gatewayStream,
            DirectAnthropicStream = directAnthropicStream,
            GatewayAnthropicStream = gatewayAnthropicStream,
            DirectChatAgain = directChatAgain,
            DirectStreamAgain = directStreamAgain,
            ChatLatency = chatLatency,
            StreamLatency = streamLatency,
            Paced = paced,
            Governance = new GovernanceResults
            {
                PlainFirst = gatewayChat,
                GovernedFirst = governedChat,
                GovernedLast = governedChatAgain,
                PlainLast = gatewayChatAgain,
                Latency = governedLatency,
                SpentByVirtualKey = spentByVirtualKey,
                SpentByApiKey = spentByApiKey,
            },
            GatewayIdleRss = bed.GatewayIdleRss,
            MockIdleRss = bed.MockIdleRss,
            GatewayPeakRss = bed.Gateway.MemoryBytes("VmHWM"),
            MockPeakRss = bed.Mock.MemoryBytes("VmHWM"),
            GatewayLogLines = bed.Gateway.LineCount,
            GatewayRecentLines = bed.Gateway.RecentLines,
            OthersCpuShare = MachineCpu.OthersShare(machineAtStart, machineAtEnd),
            LoadAverageAtStart = loadAtStart,
            LoadAverageAtEnd = MachineCpu.LoadAverage(),
        };

        async Task<ThroughputResult> ThroughputAsync(BenchTarget target, Payload payload, ChildProcess server)
        {
            ThroughputResult result = await ThroughputRun.RunAsync(target, payload, options.Connections,
                options.WarmUp, options.Duration, server, machine, cancellationToken);
            Progress.Say(string.Create(CultureInfo.InvariantCulture,
                $"  {ReportTable.Describe(payload),-13} {target.Name,-27} {result.RequestsPerSecond,9:N0} req/s, " +
                $"{result.Failures.Total} failed, other processes {result.OthersCpuShare:0%} of the CPU"));
            return result;
        }
    }

    private static async Task SmokeTestAsync(BenchTarget[] targets, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        foreach (BenchTarget target in targets)
        {
            foreach (Payload payload in (Payload[])[Payload.Chat, Payload.Stream])
            {
                Exchange exchange = await target.SendAsync(payload, buffer, cancellationToken);
                if (!exchange.Ok)
                {
                    Progress.Say($"WARNING: the first {ReportTable.Describe(payload)} request to {target.Name} failed: "
                        + $"{exchange.Failure} {exchange.FailureSample}");
                }
            }
        }
    }
}
