using System.Net;
using System.Net.Sockets;
using Portcullis.Tests.Cli;

namespace Portcullis.Tests.Hosting;

/// <summary>
/// A private temporary directory for <c>portcullis serve</c> runs (the data directory is <see cref="DataDirectory"/>),
/// with helpers to start the real program on a free loopback port and wait until it answers. Every process started
/// here is killed, if still running, when the sandbox is disposed.
/// </summary>
public sealed class ServeSandbox : IAsyncDisposable
{
    /// <summary>How long a start may take before the test gives up: the program is JIT-compiled on each start.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly List<PortcullisProcess> _started = [];

    public ServeSandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "portcullis-tests", "serve-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(Root);
        DataDirectory = Path.Combine(Root, "data-dir");
        WorkingDirectory = Path.Combine(Root, "cwd");
        Directory.CreateDirectory(WorkingDirectory);
    }

    public string Root { get; }

    public string DataDirectory { get; }

    /// <summary>The child's working directory, apart from the data directory, so a default <c>./data</c> shows up here.</summary>
    public string WorkingDirectory { get; }

    /// <summary>
    /// Starts <c>portcullis serve --urls http://127.0.0.1:PORT --data-dir DIR</c> on a fresh free port (or without the
    /// flags when <paramref name="withFlags"/> is false, for settings that come from the environment).
    /// </summary>
    public (PortcullisProcess Process, Uri BaseUrl) Start(
        IReadOnlyDictionary<string, string?>? environment = null, bool withFlags = true, int? port = null)
    {
        int chosen = port ?? FreeLoopbackPort();
        string[] args = withFlags
            ? ["serve", "--urls", $"http://127.0.0.1:{chosen}", "--data-dir", DataDirectory]
            : ["serve"];
        PortcullisProcess process = PortcullisProcess.Start(args, environment, WorkingDirectory);
        _started.Add(process);
        return (process, new Uri($"http://127.0.0.1:{chosen}/"));
    }

    /// <summary>Starts the gateway and returns once GET /v1/health answers 200; fails with the output if it never does.</summary>
    public async Task<(PortcullisProcess Process, Uri BaseUrl)> StartHealthyAsync(
        IReadOnlyDictionary<string, string?>? environment = null, bool withFlags = true, int? port = null)
    {
        // A free port is found by binding and releasing it, so another test can take it before the child binds it:
        // that start is tried again on a new port (never when the port was chosen by the caller).
        for (int attempt = 1; ; attempt++)
        {
            (PortcullisProcess process, Uri baseUrl) = Start(environment, withFlags, port);
            if (await WaitUntilHealthyAsync(process, baseUrl, portMayBeRetried: port is null && withFlags && attempt < 3))
            {
                return (process, baseUrl);
            }
        }
    }

    /// <summary>Polls GET /v1/health until it answers 200 within <see cref="StartTimeout"/>.</summary>
    public static Task WaitUntilHealthyAsync(PortcullisProcess process, Uri baseUrl) =>
        WaitUntilHealthyAsync(process, baseUrl, portMayBeRetried: false);

    // True once healthy; false when the child exited because its port was taken and the caller may try another.
    private static async Task<bool> WaitUntilHealthyAsync(PortcullisProcess process, Uri baseUrl, bool portMayBeRetried)
    {
        using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(2) };
        DateTime deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                if (portMayBeRetried && process.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }

                Assert.Fail($"portcullis serve exited before it was healthy.{Environment.NewLine}{process.Output}");
            }

            try
            {
                using HttpResponseMessage response = await client.GetAsync("v1/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"portcullis serve was not healthy within {StartTimeout.TotalSeconds} s.{Environment.NewLine}{process.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit code (the process is killed if it takes longer than 30 s).</summary>
    public static async Task<int> StopAsync(PortcullisProcess process)
    {
        process.Signal("TERM");
        return await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A port that was free on 127.0.0.1 a moment ago: bound to port 0, read back and released.</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (PortcullisProcess process in _started)
        {
            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
