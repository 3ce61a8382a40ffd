namespace Portcullis.Pricing;

/// <summary>Where a price in the catalog comes from, in the order a lookup prefers them (last first).</summary>
internal enum PriceSource
{
    /// <summary>The list price shipped with Portcullis (<c>Pricing/ShippedPrices.json</c>).</summary>
    Shipped,

    /// <summary>An organisation-wide price an admin set for a model.</summary>
    Override,

    /// <summary>A price an admin set for one virtual key and model.</summary>
    VirtualKey,

    /// <summary>A price set on an integration's model (<c>pricing_config</c>), for every provider made from it.</summary>
    Integration,
}
