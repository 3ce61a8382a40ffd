using System.Globalization;
using System.Text;

namespace Portcullis.Bench;

/// <summary>
/// Renders a run as a Markdown table (rows: measures; columns: direct, Portcullis, ratio or added, goal), a second one
/// for the cost of governance (columns: plain keys, governed keys), then <see cref="ReportNotes"/>. Goals are those of
/// <c>benchmarking.md</c>, "Where the bar is"; a missed goal is reported, never an error.
/// </summary>
internal static class ReportTable
{
    private const string None = "—";
    private const double BytesPerMiB = 1024 * 1024;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Render(BenchResults r)
    {
        var rows = new List<string[]>();

        // 1. Throughput at N connections.
        rows.Add(Ratio("Throughput, non-streaming (req/s)", r.DirectChat, r.GatewayChat, 0.30));
        rows.Add(Ratio("Throughput, streaming (req/s)", r.DirectStream, r.GatewayStream, 0.60));
        rows.Add(Ratio("Throughput, streaming, Anthropic translated (req/s)", r.DirectAnthropicStream, r.GatewayAnthropicStream, 0.60));
        rows.Add(Drift("Throughput, non-streaming, direct again at the end (req/s)", r.DirectChat, r.DirectChatAgain));
        rows.Add(Drift("Throughput, streaming, direct again at the end (req/s)", r.DirectStream, r.DirectStreamAgain));

        // 2. One request at a time.
        (Percentiles directChat, Percentiles gatewayChat) = Of(r.ChatLatency, e => e.ElapsedMicroseconds);
        (Percentiles directWhole, Percentiles gatewayWhole) = Of(r.StreamLatency, e => e.ElapsedMicroseconds);
        rows.Add(Added("Latency p50, non-streaming, one at a time (µs)", directChat.P50, gatewayChat.P50, 50));
        rows.Add(Added("Latency p99, non-streaming, one at a time (µs)", directChat.P99, gatewayChat.P99, 100));
        rows.Add(Added("Whole stream p50, unpaced, one at a time (µs)", directWhole.P50, gatewayWhole.P50, null));
        rows.Add(Added("Whole stream p99, unpaced, one at a time (µs)", directWhole.P99, gatewayWhole.P99, null));

        // 3. Paced streams.
        (Percentiles directFirst, Percentiles gatewayFirst) = Of(r.Paced, e => e.FirstFrameMicroseconds);
        (Percentiles directGap, Percentiles gatewayGap) = Of(r.Paced, e => e.MeanGapMicroseconds);
        rows.Add(Added("Time to first token p50, paced stream (µs)", directFirst.P50, gatewayFirst.P50, null));
        rows.Add(Added("Time to first token p99, paced stream (µs)", directFirst.P99, gatewayFirst.P99, 150));
        rows.Add(Added("Mean gap between frames, paced stream (µs)", directGap.Mean, gatewayGap.Mean, null));

        // 4. The processes (the direct column shows the mock, the floor of one Kestrel hop).
        rows.Add(ProcessRow("CPU per request, non-streaming (µs)", r.DirectChat.CpuMicrosecondsPerRequest,
            r.GatewayChat.CpuMicrosecondsPerRequest, "0", "≤ 70 µs", 70));
        rows.Add(ProcessRow("CPU per request, streaming (µs)", r.DirectStream.CpuMicrosecondsPerRequest,
            r.GatewayStream.CpuMicrosecondsPerRequest, "0", None, null));
        rows.Add(ProcessRow("Idle RSS after start-up (MiB)", r.MockIdleRss / BytesPerMiB, r.GatewayIdleRss / BytesPerMiB,
            "0.0", "≤ 40 MB", 40));
        rows.Add(ProcessRow("Peak RSS, VmHWM (MiB)", r.MockPeakRss / BytesPerMiB, r.GatewayPeakRss / BytesPerMiB,
            "0.0", None, null));

        var text = new StringBuilder();
        text.AppendLine();
        AppendTable(text, ["Measure", "Direct", "Portcullis", "Ratio / added", "Goal"], rows);
        text.AppendLine();
        AppendGovernance(text, r.Governance);
        text.AppendLine();
        ReportNotes.Append(text, r, directGap.Mean, gatewayGap.Mean);
        return text.ToString();
    }

    public static string Describe(Payload payload) => payload switch
    {
        Payload.Chat => "non-streaming",
        Payload.Stream => "streaming",
        Payload.AnthropicStream => "Anthropic",
        _ => "paced stream",
    };

    // 5. The cost of governance: the same gateway, plain keys against keys with budgets and rate limits.
    private static void AppendGovernance(StringBuilder text, GovernanceResults g)
    {
        (Percentiles plain, Percentiles governed) = Of(g.Latency, e => e.ElapsedMicroseconds);
        List<string[]> rows =
        [
            Ratio("Throughput, non-streaming, first pair (req/s)", g.PlainFirst, g.GovernedFirst, null),
            Ratio("Throughput, non-streaming, last pair (req/s)", g.PlainLast, g.GovernedLast, null),
            Ratio("Throughput, non-streaming, both pairs (req/s)", g.PlainRequestsPerSecond, g.GovernedRequestsPerSecond,
                0.90),
            Added("Latency p50, non-streaming, one at a time (µs)", plain.P50, governed.P50, null),
            Added("Latency p99, non-streaming, one at a time (µs)", plain.P99, governed.P99, null),
            Added("CPU per request, non-streaming (µs)", g.PlainCpuMicrosecondsPerRequest,
                g.GovernedCpuMicrosecondsPerRequest, null),
        ];

        text.AppendLine("Cost of governance: the same gateway, through a plain API key and virtual key, and through a " +
            "pair with budgets and rate limits (in-process counters) that never refuse. Ratio = governed ÷ plain; " +
            "added = governed − plain.");
        text.AppendLine();
        AppendTable(text, ["Measure", "No limits", "Budgets and limits", "Ratio / added", "Goal"], rows);
    }

    private static (Percentiles Direct, Percentiles Gateway) Of(
        (SideSamples Direct, SideSamples Gateway) samples, Func<Exchange, double?> measure) =>
        (samples.Direct.Of(measure), samples.Gateway.Of(measure));

    private static string[] Ratio(string measure, ThroughputResult direct, ThroughputResult gateway, double? goal) =>
        Ratio(measure, direct.RequestsPerSecond, gateway.RequestsPerSecond, goal);

    private static string[] Ratio(string measure, double baseline, double measured, double? goal)
    {
        double? ratio = baseline > 0 ? measured / baseline : null;
        return [measure, Number(baseline, "N0"), Number(measured, "N0"), Number(ratio, "0.00"),
            goal is { } g ? Goal(string.Create(Invariant, $"≥ {g:0.00}"), ratio >= g) : None];
    }

    private static string[] Drift(string measure, ThroughputResult first, ThroughputResult again)
    {
        double? change = first.RequestsPerSecond > 0 ? again.RequestsPerSecond / first.RequestsPerSecond : null;
        return [measure, Number(again.RequestsPerSecond, "N0"), None,
            change is { } c ? string.Create(Invariant, $"{c:0.00} × first run") : None, None];
    }

    private static string[] Added(string measure, double? direct, double? gateway, double? goal)
    {
        double? added = gateway - direct;
        string addedText = added is { } a ? string.Create(Invariant, $"{(a >= 0 ? "+" : "")}{a:N0}") : None;
        return [measure, Number(direct, "N0"), Number(gateway, "N0"), addedText,
            goal is { } g ? Goal(string.Create(Invariant, $"≤ {g:0} µs added"), added <= g) : None];
    }

    private static string[] ProcessRow(
        string measure, double? mock, double? gateway, string format, string goalText, double? goal)
    {
        string relation = mock > 0 && gateway is { } p ? string.Create(Invariant, $"{p / mock.Value:0.0} × mock") : None;
        return [measure + " ¹", Number(mock, format), Number(gateway, format), relation,
            goal is { } g ? Goal(goalText, gateway <= g) : goalText];
    }

    private static string Goal(string goal, bool met) => $"{goal} ({(met ? "met" : "missed")})";

    private static string Number(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, Invariant) : "n/a";

    private static void AppendTable(StringBuilder text, string[] header, List<string[]> rows)
    {
        int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length)))];
        bool[] right = [false, true, true, true, false];
        text.AppendLine(Line(header));
        text.AppendLine("| " + string.Join(" | ", widths.Select((w, i) => right[i]
            ? new string('-', w - 1) + ":"
            : new string('-', w))) + " |");
        foreach (string[] row in rows)
        {
            text.AppendLine(Line(row));
        }

        string Line(string[] cells) => "| "
            + string.Join(" | ", cells.Select((c, i) => right[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i])))
            + " |";
    }
}
