namespace Portcullis.Bench;

/// <summary>Failed exchanges of one phase, counted by kind, with the first answer or message seen for each kind.</summary>
internal sealed class Failures
{
    private readonly Dictionary<string, (int Count, string? Sample)> _byKind = new(StringComparer.Ordinal);

    public int Total { get; private set; }

    public void Add(in Exchange exchange)
    {
        string kind = exchange.Failure!;
        _byKind[kind] = _byKind.TryGetValue(kind, out (int Count, string? Sample) seen)
            ? (seen.Count + 1, seen.Sample)
            : (1, exchange.FailureSample);
        Total++;
    }

    public void Add(Failures other)
    {
        foreach ((string kind, (int count, string? sample)) in other._byKind)
        {
            _byKind[kind] = _byKind.TryGetValue(kind, out (int Count, string? Sample) seen)
                ? (seen.Count + count, seen.Sample)
                : (count, sample);
        }

        Total += other.Total;
    }

    /// <summary>For example <c>12 × HTTP 502 (first: {"error":...})</c>, one entry per kind, most frequent first.</summary>
    public IEnumerable<string> Describe() => _byKind
        .OrderByDescending(p => p.Value.Count)
        .Select(p => p.Value.Sample is { Length: > 0 } sample
            ? $"{p.Value.Count} × {p.Key} (first: {sample.ReplaceLineEndings(" ")})"
            : $"{p.Value.Count} × {p.Key}");
}
