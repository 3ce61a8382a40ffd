namespace Portcullis.Limits;

/// <summary>
/// The most restrictive requests limit and the most restrictive tokens limit among those a call applied (the fewest
/// remaining, then the longest reset); null for a kind no rule counts.
/// </summary>
internal sealed record RateSnapshot(RateWindowStatus? Requests, RateWindowStatus? Tokens)
{
    public static RateSnapshot None { get; } = new(null, null);
}
