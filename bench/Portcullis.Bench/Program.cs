using System.Runtime.InteropServices;

namespace Portcullis.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Portcullis.Bench</c>: measures Portcullis against direct calls to the mock
/// upstream and prints a Markdown table. Exit codes: 0 the table was printed (whatever its numbers), 1 the bench could
/// not run, 2 bad arguments, 130 interrupted.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // 1. Arguments.
        BenchOptions? options = BenchOptions.Parse(args, out string? problem);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(problem + Environment.NewLine + BenchOptions.Usage);
            return 2;
        }

        if (options.HelpRequested)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        // 2. Ctrl-C and SIGTERM end the run through the finally below; a process exit by any route kills the children.
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

        // 3. Measure and print.
        try
        {
            BenchResults results = await BenchRun.RunAsync(options, stop.Token);
            Console.Out.Write(ReportTable.Render(results));
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("portcullis-bench: interrupted.");
            return 130;
        }
        catch (BenchSetupException e)
        {
            await Console.Error.WriteLineAsync("portcullis-bench: could not run: " + e.Message);
            return 1;
        }
        finally
        {
            ChildProcess.KillAll();
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
