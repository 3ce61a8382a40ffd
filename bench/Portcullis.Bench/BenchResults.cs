namespace Portcullis.Bench;

/// <summary>Everything one run measured, in the order it was measured.</summary>
internal sealed class BenchResults
{
    public required BenchOptions Options { get; init; }

    public required string Configuration { get; init; }

    public required ThroughputResult DirectChat { get; init; }

    public required ThroughputResult GatewayChat { get; init; }

    public required ThroughputResult DirectStream { get; init; }

    public required ThroughputResult GatewayStream { get; init; }

    /// <summary>The mock's Anthropic stream asked for directly, and through Portcullis in OpenAI's format (translated).</summary>
    public required ThroughputResult DirectAnthropicStream { get; init; }

    public required ThroughputResult GatewayAnthropicStream { get; init; }

    /// <summary>The direct runs again, last, to show how far the machine drifted during the run.</summary>
    public required ThroughputResult DirectChatAgain { get; init; }

    public required ThroughputResult DirectStreamAgain { get; init; }

    public required (SideSamples Direct, SideSamples Gateway) ChatLatency { get; init; }

    public required (SideSamples Direct, SideSamples Gateway) StreamLatency { get; init; }

    public required (SideSamples Direct, SideSamples Gateway) Paced { get; init; }

    /// <summary>The same gateway through keys with budgets and rate limits, against the plain keys.</summary>
    public required GovernanceResults Governance { get; init; }

    public required long? GatewayIdleRss { get; init; }

    public required long? MockIdleRss { get; init; }

    public required long? GatewayPeakRss { get; init; }

    public required long? MockPeakRss { get; init; }

    /// <summary>Lines Portcullis logged during the run (Warning and above), and the last few of them.</summary>
    public required int GatewayLogLines { get; init; }

    public required IReadOnlyList<string> GatewayRecentLines { get; init; }

    /// <summary>Share of the machine's CPU that other processes used from the first to the last measurement.</summary>
    public required double? OthersCpuShare { get; init; }

    public required double? LoadAverageAtStart { get; init; }

    public required double? LoadAverageAtEnd { get; init; }
}
