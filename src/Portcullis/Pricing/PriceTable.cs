using System.Collections.Frozen;
using Portcullis.Storage;

namespace Portcullis.Pricing;

/// <summary>
/// One immutable state of the catalog: shipped prices, organisation-wide overrides and per-virtual-key prices. The
/// catalog swaps a whole new table in on every admin change, so a lookup never sees half a change and needs no lock.
/// </summary>
internal sealed class PriceTable
{
    private static readonly FrozenDictionary<string, PriceEntry> None =
        new Dictionary<string, PriceEntry>().ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, PriceEntry> _shipped;
    private readonly FrozenDictionary<string, PriceEntry> _overrides;
    private readonly FrozenDictionary<string, FrozenDictionary<string, PriceEntry>> _byVirtualKey;

    public PriceTable(FrozenDictionary<string, PriceEntry> shipped, IEnumerable<ModelPriceRecord> records)
    {
        _shipped = shipped;
        var overrides = new Dictionary<string, PriceEntry>(StringComparer.OrdinalIgnoreCase);
        var byVirtualKey = new Dictionary<string, Dictionary<string, PriceEntry>>(StringComparer.Ordinal);
        foreach (ModelPriceRecord record in records)
        {
            bool organisation = record.Scope == ModelPriceRecord.Organisation;
            var price = new ModelPrice(record.InputPerToken, record.CachedInputPerToken, record.OutputPerToken,
                record.MaxOutputTokens, organisation ? PriceSource.Override : PriceSource.VirtualKey);
            var entry = new PriceEntry(record.Model, organisation ? null : record.Scope, price, record.UpdatedAt);
            if (organisation)
            {
                overrides[record.Model] = entry;
            }
            else
            {
                if (!byVirtualKey.TryGetValue(record.Scope, out Dictionary<string, PriceEntry>? own))
                {
                    byVirtualKey[record.Scope] = own = new Dictionary<string, PriceEntry>(StringComparer.OrdinalIgnoreCase);
                }

                own[record.Model] = entry;
            }
        }

        _overrides = overrides.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _byVirtualKey = byVirtualKey.ToFrozenDictionary(
            p => p.Key, p => p.Value.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);
    }

    /// <summary>The virtual keys that have prices of their own.</summary>
    public IEnumerable<string> VirtualKeys => _byVirtualKey.Keys;

    /// <summary>
    /// The entry that prices <paramref name="model"/> for <paramref name="virtualKeySlug"/>: the key's own price, then
    /// the organisation-wide override, then the shipped price; within each, the exact name before the name without
    /// its snapshot suffix. Allocates nothing.
    /// </summary>
    public PriceEntry? Resolve(string? virtualKeySlug, string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        ReadOnlySpan<char> baseName = ModelNames.WithoutSnapshotSuffix(model);
        if (virtualKeySlug is not null &&
            _byVirtualKey.TryGetValue(virtualKeySlug, out FrozenDictionary<string, PriceEntry>? own) &&
            Lookup(own, model, baseName) is { } ownEntry)
        {
            return ownEntry;
        }

        return Lookup(_overrides, model, baseName) ?? Lookup(_shipped, model, baseName);
    }

    /// <summary>The key's own price for <paramref name="model"/>, without falling back to organisation prices.</summary>
    public PriceEntry? ResolveOwn(string virtualKeySlug, string model) =>
        _byVirtualKey.TryGetValue(virtualKeySlug, out FrozenDictionary<string, PriceEntry>? own)
            ? Lookup(own, model, ModelNames.WithoutSnapshotSuffix(model))
            : null;

    /// <summary>
    /// One entry per model name known anywhere, each the one a lookup by that exact name would use: for a virtual key,
    /// its own prices first; without one, the organisation's. Ordered by model name.
    /// </summary>
    public IReadOnlyList<PriceEntry> Effective(string? virtualKeySlug)
    {
        var merged = new Dictionary<string, PriceEntry>(_shipped, StringComparer.OrdinalIgnoreCase);
        foreach ((string model, PriceEntry entry) in _overrides)
        {
            merged[model] = entry;
        }

        FrozenDictionary<string, PriceEntry> own = virtualKeySlug is not null &&
            _byVirtualKey.TryGetValue(virtualKeySlug, out FrozenDictionary<string, PriceEntry>? found) ? found : None;
        foreach ((string model, PriceEntry entry) in own)
        {
            merged[model] = entry;
        }

        return merged.Values.OrderBy(e => e.Model, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The prices a virtual key has of its own, ordered by model name.</summary>
    public IReadOnlyList<PriceEntry> Own(string virtualKeySlug) =>
        _byVirtualKey.TryGetValue(virtualKeySlug, out FrozenDictionary<string, PriceEntry>? own)
            ? own.Values.OrderBy(e => e.Model, StringComparer.Ordinal).ToArray()
            : [];

    private static PriceEntry? Lookup(FrozenDictionary<string, PriceEntry> tier, string model, ReadOnlySpan<char> baseName)
    {
        if (tier.TryGetValue(model, out PriceEntry? entry))
        {
            return entry;
        }

        return !baseName.IsEmpty && tier.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(baseName, out entry) ? entry : null;
    }
}
