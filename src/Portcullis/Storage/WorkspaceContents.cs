namespace Portcullis.Storage;

/// <summary>What a workspace still holds: the objects that keep it from being deleted, or that a cascade removed.</summary>
internal sealed record WorkspaceContents(IReadOnlyList<VirtualKeyRecord> VirtualKeys, IReadOnlyList<ApiKeyRecord> ApiKeys)
{
    public bool IsEmpty => VirtualKeys.Count == 0 && ApiKeys.Count == 0;
}
