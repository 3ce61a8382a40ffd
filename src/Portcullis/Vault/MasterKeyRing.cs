namespace Portcullis.Vault;

/// <summary>
/// Every master-key version the gateway can unwrap with, and the one it wraps new data keys with.
/// Versions are added by rotation and removed only once no stored data key depends on them.
/// </summary>
internal sealed class MasterKeyRing
{
    private volatile Dictionary<int, MasterKey> _keys;
    private volatile MasterKey _active;

    public MasterKeyRing(IEnumerable<MasterKey> keys)
    {
        _keys = keys.ToDictionary(k => k.Version);
        if (_keys.Count == 0)
        {
            throw new ArgumentException("A key ring holds at least one master key.", nameof(keys));
        }

        _active = _keys.Values.MaxBy(k => k.Version)!;
    }

    public MasterKey Active => _active;

    public IReadOnlyCollection<MasterKey> All => _keys.Values;

    public bool TryGet(int version, out MasterKey key) => _keys.TryGetValue(version, out key!);

    /// <summary>Adds a newer version and makes it the active one.</summary>
    public void Add(MasterKey key)
    {
        var copy = new Dictionary<int, MasterKey>(_keys) { [key.Version] = key };
        _keys = copy;
        if (key.Version > _active.Version)
        {
            _active = key;
        }
    }

    public override string ToString() => $"MasterKeyRing(active v{Active.Version}, {_keys.Count} versions)";
}
