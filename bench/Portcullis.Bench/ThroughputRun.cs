using System.Diagnostics;

namespace Portcullis.Bench;

/// <summary>A closed-loop load: a fixed number of connections, each sending its next request when the last one ends.</summary>
internal static class ThroughputRun
{
    private const int ReadBufferBytes = 16 * 1024;

    /// <summary>
    /// Warms up for <paramref name="warmUp"/>, then measures for <paramref name="duration"/> together with the CPU time
    /// <paramref name="server"/> (the process that answers <paramref name="target"/>) spent meanwhile.
    /// </summary>
    public static async Task<ThroughputResult> RunAsync(
        BenchTarget target,
        Payload payload,
        int connections,
        TimeSpan warmUp,
        TimeSpan duration,
        ChildProcess server,
        MachineCpu machine,
        CancellationToken cancellationToken)
    {
        // 1. Warm-up on the same pooled connections; nothing counted.
        await LoadAsync(target, payload, connections, warmUp, cancellationToken);

        // 2. The measured run; requests in flight at the deadline finish and count, so elapsed runs to the last one.
        MachineCpu.Sample? machineBefore = machine.Take();
        TimeSpan? cpuBefore = server.CpuTime();
        TimeSpan? clientBefore = ProcFs.CpuTime(Environment.ProcessId);
        long started = Stopwatch.GetTimestamp();
        (long ok, Failures failures) = await LoadAsync(target, payload, connections, duration, cancellationToken);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        TimeSpan? cpuAfter = server.CpuTime();
        TimeSpan? clientAfter = ProcFs.CpuTime(Environment.ProcessId);
        MachineCpu.Sample? machineAfter = machine.Take();

        return new ThroughputResult(target.Name, payload, ok, elapsed, Delta(cpuBefore, cpuAfter),
            Delta(clientBefore, clientAfter), MachineCpu.OthersShare(machineBefore, machineAfter), failures);
    }

    private static TimeSpan? Delta(TimeSpan? before, TimeSpan? after) =>
        before is { } b && after is { } a ? a - b : null;

    private static async Task<(long Ok, Failures Failures)> LoadAsync(
        BenchTarget target, Payload payload, int connections, TimeSpan length, CancellationToken cancellationToken)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<(long Ok, Failures Failures)>[connections];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(target, payload, deadline, cancellationToken), cancellationToken);
        }

        long ok = 0;
        var failures = new Failures();
        foreach ((long workerOk, Failures workerFailures) in await Task.WhenAll(workers))
        {
            ok += workerOk;
            failures.Add(workerFailures);
        }

        return (ok, failures);
    }

    private static async Task<(long Ok, Failures Failures)> WorkAsync(
        BenchTarget target, Payload payload, long deadline, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[ReadBufferBytes];
        long ok = 0;
        var failures = new Failures();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Exchange exchange = await target.SendAsync(payload, buffer, cancellationToken);
            if (exchange.Ok)
            {
                ok++;
            }
            else
            {
                failures.Add(exchange);
            }
        }

        return (ok, failures);
    }
}
