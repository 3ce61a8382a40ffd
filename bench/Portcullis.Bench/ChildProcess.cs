using System.Collections.Concurrent;
using System.Diagnostics;

namespace Portcullis.Bench;

/// <summary>
/// A process the bench started (the mock or the gateway): its output is drained so it never blocks on a full pipe,
/// the last lines are kept for error reports, and it is killed on dispose. Every live child is also killed when the
/// bench process exits by any other route (see <see cref="KillAll"/>).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int KeptLines = 20;

    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _recentLines = new();
    private readonly string? _readyPrefix;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lineCount;
    private int _killed;

    private ChildProcess(string name, Process process, string? readyPrefix)
    {
        Name = name;
        _process = process;
        _readyPrefix = readyPrefix;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines the process wrote to stdout and stderr so far.</summary>
    public int LineCount => Volatile.Read(ref _lineCount);

    public IReadOnlyList<string> RecentLines => [.. _recentLines];

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/>. The environment is the bench's own, minus
    /// the variables <paramref name="removedPrefixes"/> name, plus <paramref name="environment"/>.
    /// </summary>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        IEnumerable<string> removedPrefixes,
        string? readyPrefix = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (string prefix in removedPrefixes)
        {
            string[] dropped = [.. info.Environment.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))];
            foreach (string key in dropped)
            {
                info.Environment.Remove(key);
            }
        }

        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, readyPrefix);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        if (readyPrefix is not null)
        {
            process.Exited += (_, _) => child._ready.TrySetException(
                new BenchSetupException($"{name} exited (code {process.ExitCode}) before it printed '{readyPrefix}'."));
        }

        process.Start();
        Live[child] = 0;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Kills every child still running; safe to call from any thread, more than once.</summary>
    public static void KillAll()
    {
        foreach (ChildProcess child in Live.Keys)
        {
            child.Kill();
        }
    }

    /// <summary>The first line that starts with the ready prefix given at start; fails if the process exits first.</summary>
    public async Task<string> WaitForReadyLineAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_readyPrefix is null)
        {
            throw new InvalidOperationException($"{Name} was started without a ready line to wait for.");
        }

        try
        {
            return await _ready.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or BenchSetupException)
        {
            string problem = e is TimeoutException
                ? $"{Name} printed no '{_readyPrefix}' line within {timeout.TotalSeconds:0} s."
                : e.Message;
            throw new BenchSetupException(problem + " Its last lines:" + Environment.NewLine
                + string.Join(Environment.NewLine, RecentLines));
        }
    }

    /// <summary>user + system CPU time from <c>/proc/&lt;pid&gt;/stat</c>, or null where there is no procfs.</summary>
    public TimeSpan? CpuTime() => ProcFs.CpuTime(_process.Id);

    /// <summary>A field of <c>/proc/&lt;pid&gt;/status</c> in bytes (<c>VmRSS</c>, <c>VmHWM</c>), or null.</summary>
    public long? MemoryBytes(string field) => ProcFs.StatusBytes(_process.Id, field);

    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
        finally
        {
            Live.TryRemove(this, out _);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (_readyPrefix is not null && line.StartsWith(_readyPrefix, StringComparison.Ordinal) && _ready.TrySetResult(line))
        {
            return;
        }

        Interlocked.Increment(ref _lineCount);
        _recentLines.Enqueue(line);
        while (_recentLines.Count > KeptLines)
        {
            _recentLines.TryDequeue(out _);
        }
    }
}
