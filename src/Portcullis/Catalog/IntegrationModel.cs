namespace Portcullis.Catalog;

/// <summary>
/// One model of an integration's list: whether it is enabled, the host that serves it when it is not the
/// integration's, and its own price in picodollars per token (null: the pricing catalog's price applies).
/// </summary>
internal sealed record IntegrationModel(
    string Slug, bool Enabled, string? CustomHost, long? InputPerToken, long? OutputPerToken);
