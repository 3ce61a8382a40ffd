using Portcullis.Storage;

namespace Portcullis.Pricing;

/// <summary>
/// The prices the gateway charges by: shipped list prices, organisation-wide overrides and per-virtual-key prices.
/// Overrides live in the database; they are loaded at start and the whole table is rebuilt and swapped in after every
/// admin change, so <see cref="Find"/> (the hot path) is a lock-free, allocation-free read of the current table.
/// </summary>
internal sealed class PricingCatalog
{
    private readonly IGatewayStore _store;
    private readonly TimeProvider _time;

    // Changes run one at a time, each with the reload that follows it, so the table swapped in last always holds
    // every change committed before it.
    private readonly SemaphoreSlim _changes = new(1, 1);
    private volatile PriceTable _table;

    private PricingCatalog(IGatewayStore store, TimeProvider time, PriceTable table)
    {
        _store = store;
        _time = time;
        _table = table;
    }

    /// <summary>Reads the admin's prices from <paramref name="store"/> and builds the first table.</summary>
    public static async Task<PricingCatalog> LoadAsync(
        IGatewayStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        IReadOnlyList<ModelPriceRecord> records = await store.ListModelPricesAsync(cancellationToken);
        return new PricingCatalog(store, time, new PriceTable(ShippedPrices.Entries, records));
    }

    /// <summary>
    /// The price of <paramref name="model"/> for requests through <paramref name="virtualKeySlug"/>: the key's own
    /// price, then the organisation-wide override, then the shipped price. Names match ignoring case, then without a
    /// snapshot suffix (<c>gpt-4o-2024-08-06</c> as <c>gpt-4o</c>). Null when no price is known: never free.
    /// </summary>
    public ModelPrice? Find(string? virtualKeySlug, string? model) => _table.Resolve(virtualKeySlug, model)?.Price;

    /// <summary>As <see cref="Find"/>, with the name of the entry that matched and when it was set.</summary>
    public PriceEntry? Resolve(string? virtualKeySlug, string? model) => _table.Resolve(virtualKeySlug, model);

    /// <summary>The current table, for listings: it does not change under the caller.</summary>
    public PriceTable Current => _table;

    /// <summary>
    /// Sets the price of <paramref name="model"/> organisation-wide (<paramref name="virtualKeySlug"/> null) or for one
    /// virtual key, replacing any earlier one, and swaps the new table in before returning. Null when the virtual key
    /// does not exist.
    /// </summary>
    public async Task<PriceEntry?> SetAsync(
        string? virtualKeySlug, string model, ModelPrice price, CancellationToken cancellationToken)
    {
        string name = model.Trim().ToLowerInvariant();
        var record = new ModelPriceRecord(virtualKeySlug ?? ModelPriceRecord.Organisation, name, price.InputPerToken,
            price.CachedInputPerToken, price.OutputPerToken, price.MaxOutputTokens, _time.GetUtcNow());
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (!await _store.UpsertModelPriceAsync(record, cancellationToken))
            {
                return null;
            }

            await ReloadLockedAsync();
        }
        finally
        {
            _changes.Release();
        }

        return _table.Resolve(virtualKeySlug, name);
    }

    /// <summary>Removes a price an admin set; false when there was none. Shipped prices cannot be removed.</summary>
    public async Task<bool> RemoveAsync(string? virtualKeySlug, string model, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (!await _store.DeleteModelPriceAsync(
                virtualKeySlug ?? ModelPriceRecord.Organisation, model.Trim().ToLowerInvariant(), cancellationToken))
            {
                return false;
            }

            await ReloadLockedAsync();
            return true;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Re-reads the admin's prices, for changes made elsewhere (a deleted virtual key takes its prices along).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            await ReloadLockedAsync();
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task ReloadLockedAsync()
    {
        // The change is committed already: a cancelled caller must not leave the old table in place.
        IReadOnlyList<ModelPriceRecord> records = await _store.ListModelPricesAsync(CancellationToken.None);
        _table = new PriceTable(ShippedPrices.Entries, records);
    }
}
