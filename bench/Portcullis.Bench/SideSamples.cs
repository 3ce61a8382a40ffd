namespace Portcullis.Bench;

/// <summary>The successful exchanges of one side of an interleaved run, and its failures.</summary>
internal sealed class SideSamples
{
    public List<Exchange> Ok { get; } = [];

    public Failures Failures { get; } = new();

    public Percentiles Of(Func<Exchange, double?> measure) =>
        new(Ok.Select(measure).Where(v => v is not null).Select(v => v!.Value));
}
