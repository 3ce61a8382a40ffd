namespace Portcullis.Bench;

/// <summary>
/// The cost of governance: non-streaming throughput through the plain keys and through the governed pair (budgets on
/// the API key and the virtual key, rate limits on the virtual key), measured plain, governed, ..., governed, plain so
/// that drift over the run falls on both alike; and latency one request at a time, the two alternating.
/// </summary>
internal sealed class GovernanceResults
{
    /// <summary>The plain run of the main table (<see cref="BenchResults.GatewayChat"/>), which the first governed run follows.</summary>
    public required ThroughputResult PlainFirst { get; init; }

    public required ThroughputResult GovernedFirst { get; init; }

    /// <summary>The governed run again near the end, followed by the plain one.</summary>
    public required ThroughputResult GovernedLast { get; init; }

    public required ThroughputResult PlainLast { get; init; }

    public required (SideSamples Plain, SideSamples Governed) Latency { get; init; }

    /// <summary>What the governed virtual key's and API key's cost budgets had counted at the end, in dollars.</summary>
    public required decimal? SpentByVirtualKey { get; init; }

    public required decimal? SpentByApiKey { get; init; }

    public ThroughputResult[] Runs => [PlainFirst, GovernedFirst, GovernedLast, PlainLast];

    /// <summary>Both plain runs together: all their requests over all their time.</summary>
    public double PlainRequestsPerSecond => Combined(PlainFirst, PlainLast);

    public double GovernedRequestsPerSecond => Combined(GovernedFirst, GovernedLast);

    public double? PlainCpuMicrosecondsPerRequest => CpuPerRequest(PlainFirst, PlainLast);

    public double? GovernedCpuMicrosecondsPerRequest => CpuPerRequest(GovernedFirst, GovernedLast);

    private static double Combined(ThroughputResult a, ThroughputResult b) =>
        (a.Ok + b.Ok) / (a.Elapsed + b.Elapsed).TotalSeconds;

    private static double? CpuPerRequest(ThroughputResult a, ThroughputResult b) =>
        a.ServerCpu is { } cpuA && b.ServerCpu is { } cpuB && a.Ok + b.Ok > 0
            ? (cpuA + cpuB).TotalMicroseconds / (a.Ok + b.Ok)
            : null;
}
