using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Portcullis.Bench;

/// <summary>
/// The lines under the table: the run's settings, then whatever would make a number misleading (the client's own
/// cost, drift, other processes, failures, unpaced streams, anything Portcullis logged).
/// </summary>
internal static class ReportNotes
{
    private const double DriftWorthNoting = 0.10;
    private const double BusyMachine = 0.10;

    // Below half the requested pace, the pace header cannot have reached the mock.
    private const double UnpacedGapMicroseconds = 2500;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Append(StringBuilder text, BenchResults r, double? directGap, double? gatewayGap)
    {
        // 1. What the columns are and how the run was set up.
        BenchOptions o = r.Options;
        text.AppendLine("¹ In the process rows the direct column is the mock upstream's own figure (a bare Kestrel server).");
        text.AppendLine();
        text.AppendLine(string.Create(Invariant,
            $"Ratio = Portcullis ÷ direct; added = Portcullis − direct (difference of the two percentiles). " +
            $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
            $"gateway and mock built {r.Configuration}{(o.Quick ? ", --quick" : "")}, UsageDurability {o.UsageDurability}; {o.Connections} connections, " +
            $"{o.WarmUp.TotalSeconds:0.#} s warm-up + {o.Duration.TotalSeconds:0.#} s per throughput run; " +
            $"{o.LatencyRequests} requests per side one at a time; {o.PacedStreams} paced streams per side. " +
            $"Client, gateway and mock share this machine."));

        // 2. Anything that qualifies the numbers.
        var notes = new List<string>();
        NoteClient(notes, r);
        NoteDrift(notes, r.DirectChat, r.DirectChatAgain);
        NoteDrift(notes, r.DirectStream, r.DirectStreamAgain);
        NoteMachine(notes, r);
        NoteFailures(notes, "throughput, non-streaming", r.DirectChat, r.GatewayChat, r.DirectChatAgain);
        NoteFailures(notes, "throughput, streaming", r.DirectStream, r.GatewayStream, r.DirectStreamAgain);
        NoteFailures(notes, "latency, non-streaming", r.ChatLatency);
        NoteFailures(notes, "latency, whole stream", r.StreamLatency);
        NoteFailures(notes, "paced streams", r.Paced);
        NoteFailures(notes, "governance, throughput", r.Governance.GovernedFirst, r.Governance.GovernedLast,
            r.Governance.PlainLast);
        NoteFailures(notes, "governance, latency", r.Governance.Latency, "plain keys", "governed keys");
        NoteGovernance(notes, r.Governance);
        NotePacing(notes, "direct", directGap);
        NotePacing(notes, "Portcullis", gatewayGap);
        if (r.GatewayLogLines > 0)
        {
            notes.Add($"Portcullis logged {r.GatewayLogLines} lines at Warning or above; the last: "
                + string.Join(" / ", r.GatewayRecentLines.TakeLast(3)));
        }

        if (notes.Count > 0)
        {
            text.AppendLine();
            foreach (string note in notes)
            {
                text.AppendLine("- " + note);
            }
        }
    }

    private static void NoteClient(List<string> notes, BenchResults r)
    {
        if (r.DirectChat.ClientCpuMicrosecondsPerRequest is { } direct
            && r.GatewayChat.ClientCpuMicrosecondsPerRequest is { } gateway)
        {
            notes.Add(string.Create(Invariant,
                $"The load client itself used {direct:N0} µs of CPU per non-streaming request to the mock and " +
                $"{gateway:N0} µs per request to Portcullis, on the same cores."));
        }
    }

    private static void NoteDrift(List<string> notes, ThroughputResult first, ThroughputResult again)
    {
        double change = first.RequestsPerSecond > 0 ? again.RequestsPerSecond / first.RequestsPerSecond - 1 : 0;
        if (Math.Abs(change) > DriftWorthNoting)
        {
            notes.Add(string.Create(Invariant,
                $"Direct {ReportTable.Describe(first.Payload)} throughput moved {change:+0%;-0%} between the first and " +
                $"the last run: its ratio is no steadier than that."));
        }
    }

    private static void NoteMachine(List<string> notes, BenchResults r)
    {
        if (r.OthersCpuShare is not { } others)
        {
            return;
        }

        ThroughputResult[] runs =
        [
            r.DirectChat, r.GatewayChat, r.DirectStream, r.GatewayStream, r.DirectAnthropicStream,
            r.GatewayAnthropicStream, r.DirectChatAgain, r.DirectStreamAgain, .. r.Governance.Runs,
        ];
        ThroughputResult calmest = runs.MinBy(run => run.OthersCpuShare ?? 0)!;
        ThroughputResult busiest = runs.MaxBy(run => run.OthersCpuShare ?? 0)!;
        string verdict = others > BusyMachine || busiest.OthersCpuShare > BusyMachine
            ? " Numbers from a busy machine are rough."
            : "";
        notes.Add(string.Create(Invariant,
            $"Other processes used {others:0%} of the machine's CPU from the first measurement to the last; during " +
            $"the throughput runs from {calmest.OthersCpuShare:0%} ({calmest.Target}, " +
            $"{ReportTable.Describe(calmest.Payload)}) to {busiest.OthersCpuShare:0%} ({busiest.Target}, " +
            $"{ReportTable.Describe(busiest.Payload)}). 1-minute load average {r.LoadAverageAtStart:0.0} at the start, " +
            $"{r.LoadAverageAtEnd:0.0} at the end.{verdict}"));
    }

    private static void NoteFailures(List<string> notes, string phase, params ThroughputResult[] runs)
    {
        foreach (ThroughputResult run in runs.Where(run => run.Failures.Total > 0))
        {
            notes.Add($"{run.Target}, {phase}: {run.Failures.Total} failed "
                + $"({string.Join("; ", run.Failures.Describe())}).");
        }
    }

    private static void NoteFailures(
        List<string> notes,
        string phase,
        (SideSamples Direct, SideSamples Gateway) samples,
        string firstSide = "direct",
        string secondSide = "Portcullis")
    {
        foreach ((string side, SideSamples s) in
            (ReadOnlySpan<(string, SideSamples)>)[(firstSide, samples.Direct), (secondSide, samples.Gateway)])
        {
            if (s.Failures.Total > 0)
            {
                notes.Add($"{side}, {phase}: {s.Failures.Total} failed ({string.Join("; ", s.Failures.Describe())}).");
            }
        }
    }

    // What the governed keys' budgets counted (zero or unreadable would mean the governed path was not measured), and
    // that the plain path already pays for the durable pending record.
    private static void NoteGovernance(List<string> notes, GovernanceResults g)
    {
        double? first = Ratio(g.PlainFirst, g.GovernedFirst);
        double? last = Ratio(g.PlainLast, g.GovernedLast);
        if (first is { } f && last is { } l && Math.Abs(f / l - 1) > DriftWorthNoting)
        {
            notes.Add(string.Create(Invariant,
                $"The two governance pairs disagree (ratio {f:0.00} in the first, {l:0.00} in the last): the " +
                $"governance ratio is no steadier than that."));
        }

        string spent = g.SpentByVirtualKey is { } key && g.SpentByApiKey is { } caller
            ? string.Create(Invariant, $"The governed virtual key's budget counted ${key:0.######} and the governed " +
                $"API key's ${caller:0.######} over the run, so their requests went through both budgets.")
            : "The governed keys' budgets could not be read at the end: check that the governed path was measured.";
        if (g.SpentByVirtualKey is 0 || g.SpentByApiKey is 0)
        {
            spent = "The governed keys' budgets counted nothing: the governance rows did not measure governance.";
        }

        notes.Add(spent + " Every request through Portcullis, plain or governed, writes a pending usage record " +
            "durably (group commit, one fsync per batch) before its upstream call, so the first table already " +
            "includes that cost; the governed keys add token counting, budget reservations and rate-limit counters.");
    }

    private static double? Ratio(ThroughputResult plain, ThroughputResult governed) =>
        plain.RequestsPerSecond > 0 && governed.RequestsPerSecond > 0
            ? governed.RequestsPerSecond / plain.RequestsPerSecond
            : null;

    private static void NotePacing(List<string> notes, string side, double? meanGap)
    {
        if (meanGap < UnpacedGapMicroseconds)
        {
            notes.Add(string.Create(Invariant,
                $"The {side} paced streams were not paced (mean gap {meanGap:N0} µs): x-mock-pace-ms did not reach the mock."));
        }
    }
}
