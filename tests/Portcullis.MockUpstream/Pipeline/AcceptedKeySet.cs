using System.Collections;

namespace Portcullis.MockUpstream.Pipeline;

/// <summary>
/// A thread-safe set of API keys. Reads (one per request) take no lock: they see an immutable snapshot that every
/// write replaces, which suits a set written a few times by a test and read by every request.
/// </summary>
internal sealed class AcceptedKeySet : ISet<string>
{
    private readonly Lock _gate = new();
    private HashSet<string> _snapshot = new(StringComparer.Ordinal);

    public int Count => Volatile.Read(ref _snapshot).Count;

    public bool IsReadOnly => false;

    public bool Contains(string item) => Volatile.Read(ref _snapshot).Contains(item);

    public bool Add(string item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Mutate(set => set.Add(item));
    }

    void ICollection<string>.Add(string item) => Add(item);

    public bool Remove(string item) => Mutate(set => set.Remove(item));

    public void Clear() => Mutate(set =>
    {
        set.Clear();
        return true;
    });

    public void UnionWith(IEnumerable<string> other) => Mutate(set =>
    {
        set.UnionWith(other);
        return true;
    });

    public void IntersectWith(IEnumerable<string> other) => Mutate(set =>
    {
        set.IntersectWith(other);
        return true;
    });

    public void ExceptWith(IEnumerable<string> other) => Mutate(set =>
    {
        set.ExceptWith(other);
        return true;
    });

    public void SymmetricExceptWith(IEnumerable<string> other) => Mutate(set =>
    {
        set.SymmetricExceptWith(other);
        return true;
    });

    public bool IsSubsetOf(IEnumerable<string> other) => Volatile.Read(ref _snapshot).IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<string> other) => Volatile.Read(ref _snapshot).IsSupersetOf(other);

    public bool IsProperSubsetOf(IEnumerable<string> other) => Volatile.Read(ref _snapshot).IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<string> other) =>
        Volatile.Read(ref _snapshot).IsProperSupersetOf(other);

    public bool Overlaps(IEnumerable<string> other) => Volatile.Read(ref _snapshot).Overlaps(other);

    public bool SetEquals(IEnumerable<string> other) => Volatile.Read(ref _snapshot).SetEquals(other);

    public void CopyTo(string[] array, int arrayIndex) => Volatile.Read(ref _snapshot).CopyTo(array, arrayIndex);

    public IEnumerator<string> GetEnumerator() => Volatile.Read(ref _snapshot).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private bool Mutate(Func<HashSet<string>, bool> change)
    {
        lock (_gate)
        {
            var copy = new HashSet<string>(_snapshot, StringComparer.Ordinal);
            bool changed = change(copy);
            Volatile.Write(ref _snapshot, copy);
            return changed;
        }
    }
}
