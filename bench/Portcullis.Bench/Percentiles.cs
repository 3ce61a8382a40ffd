namespace Portcullis.Bench;

/// <summary>Nearest-rank percentiles and the mean of a set of samples, in microseconds.</summary>
internal sealed class Percentiles
{
    private readonly double[] _sorted;

    public Percentiles(IEnumerable<double> samples)
    {
        _sorted = [.. samples];
        Array.Sort(_sorted);
    }

    public int Count => _sorted.Length;

    public double? P50 => At(0.50);

    public double? P99 => At(0.99);

    public double? Mean => _sorted.Length == 0 ? null : _sorted.Average();

    public double? At(double fraction)
    {
        if (_sorted.Length == 0)
        {
            return null;
        }

        int rank = (int)Math.Ceiling(fraction * _sorted.Length);
        return _sorted[Math.Clamp(rank - 1, 0, _sorted.Length - 1)];
    }
}
