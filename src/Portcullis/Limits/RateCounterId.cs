namespace Portcullis.Limits;

/// <summary>
/// Which counter a rule uses: calls with the same key, type and unit share usage. Ordered, so locks are taken in one order.
/// </summary>
internal readonly record struct RateCounterId(string Key, RateLimitType Type, RateLimitUnit Unit)
    : IComparable<RateCounterId>
{
    public static RateCounterId Of(RateLimitRule rule) => new(rule.CounterKey, rule.Limit.Type, rule.Limit.Unit);

    public int CompareTo(RateCounterId other)
    {
        int byKey = string.CompareOrdinal(Key, other.Key);
        if (byKey != 0)
        {
            return byKey;
        }

        return Type != other.Type ? Type.CompareTo(other.Type) : Unit.CompareTo(other.Unit);
    }
}
