using System.Globalization;

namespace Portcullis.Bench;

/// <summary>How long and how hard one run measures; parsed from the command line.</summary>
internal sealed class BenchOptions
{
    public const string Usage =
        """
        usage: dotnet run -c Release --project bench/Portcullis.Bench -- [options]

          --duration <seconds>   length of each measured throughput run (default 5; 2 s warm-up before each)
          --connections <n>      concurrent connections of the throughput runs (default 32)
          --quick                everything at a third of its length (durations, warm-ups, request counts)
          --usage-durability <always|budgeted>
                                 the gateway's UsageDurability (default always, the gateway's default)
          --help                 this text
        """;

    private const int QuickDivisor = 3;

    /// <summary>Length of each measured throughput run. Default 5 s: 11 runs of 7 s with warm-ups, about 80 s in all.</summary>
    public TimeSpan Duration { get; private init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unmeasured load before each throughput run (default 2 s), so JIT tiers and pools settle first.</summary>
    public TimeSpan WarmUp { get; private init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Unmeasured load on each server and payload before the first measurement (default 8 s), so tiered compilation
    /// has finished re-compiling the hot paths: a one-time start-up cost is not a per-request cost.
    /// </summary>
    public TimeSpan Settle { get; private init; } = TimeSpan.FromSeconds(8);

    /// <summary>The gateway's <c>UsageDurability</c>: which requests wait for their pending record on disk.</summary>
    public string UsageDurability { get; private init; } = "Always";

    /// <summary>Concurrent connections of the throughput runs (default 32, the figure the goals are stated at).</summary>
    public int Connections { get; private init; } = 32;

    /// <summary>Requests per side and payload at one request at a time (default 2000, enough for a stable p99).</summary>
    public int LatencyRequests { get; private init; } = 2000;

    /// <summary>
    /// Paced streams per side (default 150). Each lasts 17 frames of at least 5 ms (about 8 ms apart in practice), so
    /// this phase takes about 45 s, the longest of the run.
    /// </summary>
    public int PacedStreams { get; private init; } = 150;

    public bool Quick { get; private init; }

    public bool HelpRequested { get; private init; }

    public static BenchOptions? Parse(string[] args, out string? problem)
    {
        problem = null;
        double? seconds = null;
        int? connections = null;
        bool quick = false;
        bool help = false;
        string durability = "Always";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;

                case "--help" or "-h":
                    help = true;
                    break;

                case "--duration" when i + 1 < args.Length:
                    if (!double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out double s)
                        || s is <= 0 or > 3600)
                    {
                        problem = $"--duration: '{args[i]}' is not a number of seconds (0 to 3600).";
                        return null;
                    }

                    seconds = s;
                    break;

                case "--usage-durability" when i + 1 < args.Length:
                    durability = args[++i].ToLowerInvariant() switch
                    {
                        "always" => "Always",
                        "budgeted" => "Budgeted",
                        _ => "",
                    };
                    if (durability.Length == 0)
                    {
                        problem = $"--usage-durability: '{args[i]}' is neither always nor budgeted.";
                        return null;
                    }

                    break;

                case "--connections" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
                        || c is < 1 or > 4096)
                    {
                        problem = $"--connections: '{args[i]}' is not a count (1 to 4096).";
                        return null;
                    }

                    connections = c;
                    break;

                default:
                    problem = $"unknown or incomplete argument '{args[i]}'.";
                    return null;
            }
        }

        // --quick scales the defaults; a value given explicitly is taken as it is.
        var defaults = new BenchOptions();
        int divisor = quick ? QuickDivisor : 1;
        return new BenchOptions
        {
            Duration = seconds is { } given ? TimeSpan.FromSeconds(given) : defaults.Duration / divisor,
            WarmUp = defaults.WarmUp / divisor,
            Settle = defaults.Settle / divisor,
            Connections = connections ?? defaults.Connections,
            LatencyRequests = defaults.LatencyRequests / divisor,
            PacedStreams = defaults.PacedStreams / divisor,
            Quick = quick,
            HelpRequested = help,
            UsageDurability = durability,
        };
    }
}
