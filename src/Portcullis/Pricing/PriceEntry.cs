namespace Portcullis.Pricing;

/// <summary>
/// One line of the catalog: the model name it is filed under (lower case), the virtual key it belongs to (null for
/// shipped and organisation-wide prices), the price, and when an admin last set it (null for shipped prices).
/// </summary>
internal sealed record PriceEntry(string Model, string? VirtualKey, ModelPrice Price, DateTimeOffset? UpdatedAt);
