using System.Diagnostics;
using System.Globalization;
using System.Text;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Cli;

/// <summary>
/// The real <c>portcullis</c> program as a child process (<c>dotnet portcullis.dll ...</c>), built in the same
/// configuration as the tests. Output is captured as it arrives; a run that outlives its timeout is killed with its
/// whole process tree, and so is a process still running when this object is disposed.
/// </summary>
public sealed class PortcullisProcess : IAsyncDisposable
{
    /// <summary>How long a CLI command may take by default: generous, as several test classes start processes at once.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> Dll = new(FindDll);

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private PortcullisProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The built gateway, <c>src/Portcullis/bin/&lt;Configuration&gt;/net10.0/portcullis.dll</c>.</summary>
    public static string DllPath => Dll.Value;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Both streams as captured so far.</summary>
    public string Output => StandardOutput + StandardError;

    /// <summary>
    /// Starts the program. The child gets this process's environment without any <c>PORTCULLIS_*</c> or
    /// <c>Portcullis__*</c> variable, then <paramref name="environment"/> (a null value removes a variable).
    /// </summary>
    public static PortcullisProcess Start(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        bool redirectInput = false)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(DllPath);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // 1. Nothing of the caller's gateway settings leaks in; every test says what it runs with.
        foreach (string name in info.Environment.Keys.ToArray())
        {
            if (name.StartsWith("PORTCULLIS_", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("Portcullis__", StringComparison.OrdinalIgnoreCase) ||
                name is "ASPNETCORE_URLS" or "DOTNET_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS")
            {
                info.Environment.Remove(name);
            }
        }

        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        // 2. Start with output captured line by line as it arrives.
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new PortcullisProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {info.FileName} {DllPath}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs one command to its end, feeding <paramref name="standardInput"/> (then end of input) if given.</summary>
    public static async Task<CliResult> RunAsync(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        await using PortcullisProcess child = Start(args, environment, redirectInput: true);
        if (standardInput is not null)
        {
            await child._process.StandardInput.WriteAsync(standardInput);
        }

        child._process.StandardInput.Close();
        int exitCode = await child.WaitForExitAsync(timeout ?? DefaultTimeout);
        return new CliResult(exitCode, child.StandardOutput, child.StandardError);
    }

    /// <summary>
    /// Waits for the process to end and its output to be read; past <paramref name="timeout"/> the process tree is
    /// killed and a <see cref="TimeoutException"/> carrying the output so far is thrown.
    /// </summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException(
                $"portcullis (pid {Id}) did not exit within {timeout.TotalSeconds} s and was killed.{Environment.NewLine}" +
                $"--- stdout ---{Environment.NewLine}{StandardOutput}--- stderr ---{Environment.NewLine}{StandardError}");
        }

        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="text"/> shows up on either stream; false if it has not within the timeout.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    /// <summary>Sends a POSIX signal (default SIGTERM) to the process with <c>kill</c>.</summary>
    public void Signal(string signal = "TERM")
    {
        var info = new ProcessStartInfo("kill") { UseShellExecute = false };
        info.ArgumentList.Add("-" + signal);
        info.ArgumentList.Add(Id.ToString(CultureInfo.InvariantCulture));
        using Process kill = Process.Start(info) ?? throw new InvalidOperationException("Could not run kill.");
        if (!kill.WaitForExit(TimeSpan.FromSeconds(10)) || kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Id} failed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            // Killed but not yet reaped; nothing more a test can do.
        }

        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.Append(line).Append('\n');
        }
    }

    // The muxer that runs the tests, so the child uses the same runtime; plain "dotnet" from PATH otherwise.
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (host is { Length: > 0 } && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private static string FindDll()
    {
        // The tests run from tests/Portcullis.Tests/bin/<Configuration>/<tfm>/, and the gateway is built beside them.
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testBinaries.Parent?.Name
            ?? throw new InvalidOperationException($"Cannot tell the build configuration from {AppContext.BaseDirectory}.");
        string dll = Path.Combine(SharedData.RepositoryRoot, "src", "Portcullis", "bin", configuration, "net10.0", "portcullis.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException(
                $"The gateway is not built at {dll}. Build it first: dotnet build tests/Portcullis.Tests -c {configuration}");
        }

        return dll;
    }
}
