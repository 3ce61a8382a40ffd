using System.Globalization;
using System.Runtime.InteropServices;

namespace Portcullis.MockUpstream;

/// <summary>
/// Runs the mock on its own, for benchmarks:
/// <c>dotnet run --project tests/Portcullis.MockUpstream -c Release -- --port 9000 [--bench]</c>.
/// Stops on SIGTERM or Ctrl-C.
/// </summary>
internal static class Program
{
    private const int DefaultPort = 9000;

    private const string Usage = "usage: Portcullis.MockUpstream [--port N] [--bench]";

    public static async Task<int> Main(string[] args)
    {
        // 1. Arguments.
        if (!TryParse(args, out int port, out bool bench, out string? problem))
        {
            await Console.Error.WriteLineAsync(problem + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        // 2. Serve until told to stop.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var options = new MockUpstreamOptions { Port = port, BenchmarkMode = bench };
        await using (MockUpstreamServer server = await MockUpstreamServer.StartAsync(options).ConfigureAwait(false))
        {
            string url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{server.Port}");
            Console.WriteLine("listening on " + url);
            await stop.Task.ConfigureAwait(false);
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
    }

    private static bool TryParse(string[] args, out int port, out bool bench, out string? problem)
    {
        port = DefaultPort;
        bench = false;
        problem = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--bench":
                    bench = true;
                    break;

                case "--port" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out port)
                        || port > 65535)
                    {
                        problem = $"--port: '{args[i]}' is not a port number (0-65535).";
                        return false;
                    }

                    break;

                default:
                    problem = $"unknown or incomplete argument '{args[i]}'.";
                    return false;
            }
        }

        return true;
    }
}
