namespace Portcullis.Storage;

/// <summary>One page of a listing and the total count behind it.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, long Total);
