using System.Diagnostics;

namespace Portcullis.Bench;

/// <summary>
/// One request and its answer, read to the end. Times are <see cref="Stopwatch"/> timestamps; frame times are those
/// of the reads that completed the first and the last SSE frame.
/// </summary>
internal readonly record struct Exchange(
    long Started,
    long Finished,
    long FirstFrame,
    long LastFrame,
    int Frames,
    string? Failure,
    string? FailureSample)
{
    public bool Ok => Failure is null;

    public double ElapsedMicroseconds => Micros(Finished - Started);

    public double FirstFrameMicroseconds => Micros(FirstFrame - Started);

    /// <summary>Mean time between consecutive frames of this stream, or null with fewer than two frames.</summary>
    public double? MeanGapMicroseconds => Frames < 2 ? null : Micros(LastFrame - FirstFrame) / (Frames - 1);

    public static Exchange Failed(long started, string failure, string? sample = null) =>
        new(started, Stopwatch.GetTimestamp(), 0, 0, 0, failure, sample);

    private static double Micros(long timestampTicks) => timestampTicks * 1_000_000.0 / Stopwatch.Frequency;
}
