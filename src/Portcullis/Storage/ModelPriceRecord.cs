namespace Portcullis.Storage;

/// <summary>
/// A price an admin set, as stored: <see cref="Scope"/> is <c>""</c> for the organisation-wide price of a model and the
/// virtual key's slug for a price of that key alone; <see cref="Model"/> is lower case; prices are exact picodollars
/// per token.
/// </summary>
internal sealed record ModelPriceRecord(
    string Scope, string Model, long InputPerToken, long CachedInputPerToken, long OutputPerToken, int? MaxOutputTokens,
    DateTimeOffset UpdatedAt)
{
    public const string Organisation = "";
}
