namespace Portcullis.Bench;

/// <summary>
/// One measured throughput run: what completed, how long it took, the serving process's CPU over it, and the share of
/// the machine's CPU that processes other than the bench, the mock and the gateway took meanwhile.
/// </summary>
internal sealed record ThroughputResult(
    string Target,
    Payload Payload,
    long Ok,
    TimeSpan Elapsed,
    TimeSpan? ServerCpu,
    TimeSpan? ClientCpu,
    double? OthersCpuShare,
    Failures Failures)
{
    public double RequestsPerSecond => Ok / Elapsed.TotalSeconds;

    /// <summary>CPU time of the serving process per successful request, in microseconds.</summary>
    public double? CpuMicrosecondsPerRequest => ServerCpu is { } cpu && Ok > 0 ? cpu.TotalMicroseconds / Ok : null;

    /// <summary>CPU time of the bench (the load client) per successful request, in microseconds.</summary>
    public double? ClientCpuMicrosecondsPerRequest => ClientCpu is { } cpu && Ok > 0 ? cpu.TotalMicroseconds / Ok : null;
}
