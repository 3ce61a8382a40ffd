using System.Globalization;

namespace Portcullis.Bench;

/// <summary>
/// How busy the whole machine was between two samples, and how much of that was not the bench, the mock or the
/// gateway: on shared cores, other processes are the first thing to rule out before trusting a ratio.
/// </summary>
internal sealed class MachineCpu(params int[] ourProcesses)
{
    private const long TicksPerSecond = 100;

    /// <summary>CPU time summed over all cores: busy, busy plus idle, and the part our processes used.</summary>
    public readonly record struct Sample(TimeSpan Busy, TimeSpan Total, TimeSpan Ours);

    /// <summary>The share of the machine's CPU (all cores) other processes used between two samples, 0 to 1.</summary>
    public static double? OthersShare(Sample? before, Sample? after)
    {
        if (before is not { } b || after is not { } a || a.Total <= b.Total)
        {
            return null;
        }

        double others = (a.Busy - b.Busy - (a.Ours - b.Ours)).TotalSeconds;
        return Math.Clamp(others / (a.Total - b.Total).TotalSeconds, 0, 1);
    }

    /// <summary>The 1-minute load average, or null without procfs.</summary>
    public static double? LoadAverage()
    {
        try
        {
            string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public Sample? Take()
    {
        // 1. Our processes first, then the machine, so the machine's count includes what ours just reported.
        TimeSpan ours = ProcFs.CpuTime(Environment.ProcessId) ?? TimeSpan.Zero;
        foreach (int pid in ourProcesses)
        {
            ours += ProcFs.CpuTime(pid) ?? TimeSpan.Zero;
        }

        // 2. The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal, in USER_HZ ticks.
        string? line;
        try
        {
            using var reader = new StreamReader("/proc/stat");
            line = reader.ReadLine();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        string[] fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (fields.Length < 9 || fields[0] != "cpu")
        {
            return null;
        }

        long[] ticks = new long[8];
        for (int i = 0; i < ticks.Length; i++)
        {
            if (!long.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i]))
            {
                return null;
            }
        }

        long idle = ticks[3] + ticks[4];
        long busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
        return new Sample(Ticks(busy), Ticks(busy + idle), ours);
    }

    private static TimeSpan Ticks(long userHz) => TimeSpan.FromTicks(userHz * (TimeSpan.TicksPerSecond / TicksPerSecond));
}
