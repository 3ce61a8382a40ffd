namespace Portcullis.Pricing;

/// <summary>
/// What one token of a model costs, in picodollars (see <see cref="Money"/>). <see cref="CachedInputPerToken"/> is the
/// price of a prompt token read from the provider's cache; it equals <see cref="InputPerToken"/> when no cached price
/// is known, so a cache hit is never counted cheaper than the catalog says. <see cref="MaxOutputTokens"/> is the most a
/// model can write in one answer (null when unknown, or for embeddings), the bound for a worst-case reservation.
/// </summary>
internal sealed record ModelPrice(
    long InputPerToken, long CachedInputPerToken, long OutputPerToken, int? MaxOutputTokens,
    PriceSource Source = PriceSource.Shipped);
