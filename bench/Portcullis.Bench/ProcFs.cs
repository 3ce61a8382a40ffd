using System.Globalization;

namespace Portcullis.Bench;

/// <summary>Reads a process's CPU time and memory from Linux procfs; every method returns null where that fails.</summary>
internal static class ProcFs
{
    // USER_HZ, the unit of utime and stime: 100 on every Linux ABI .NET runs on (getconf CLK_TCK).
    private const long TicksPerSecond = 100;

    /// <summary>utime + stime of <paramref name="pid"/> (fields 14 and 15 of <c>/proc/&lt;pid&gt;/stat</c>).</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        string? stat = TryRead($"/proc/{pid}/stat");

        // The command name (field 2) is in parentheses and may hold spaces, so count fields after its closing one.
        int close = stat?.LastIndexOf(')') ?? -1;
        if (stat is null || close < 0)
        {
            return null;
        }

        string[] fields = stat[(close + 2)..].Split(' ');
        const int UtimeIndex = 14 - 3;
        const int StimeIndex = 15 - 3;
        if (fields.Length <= StimeIndex
            || !long.TryParse(fields[UtimeIndex], NumberStyles.None, CultureInfo.InvariantCulture, out long user)
            || !long.TryParse(fields[StimeIndex], NumberStyles.None, CultureInfo.InvariantCulture, out long system))
        {
            return null;
        }

        return TimeSpan.FromTicks((user + system) * (TimeSpan.TicksPerSecond / TicksPerSecond));
    }

    /// <summary>A <c>kB</c> field of <c>/proc/&lt;pid&gt;/status</c> (for example <c>VmHWM</c>), in bytes.</summary>
    public static long? StatusBytes(int pid, string field)
    {
        string? status = TryRead($"/proc/{pid}/status");
        if (status is null)
        {
            return null;
        }

        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string value = line[(field.Length + 1)..].Trim();
                int space = value.IndexOf(' ', StringComparison.Ordinal);
                string number = space < 0 ? value : value[..space];
                return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
            }
        }

        return null;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
