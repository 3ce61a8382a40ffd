namespace Portcullis.Storage;

/// <summary>
/// What a workspace still holds: the objects that keep it from being deleted, or that a cascade removed (its virtual
/// keys and providers, its API keys, and the slugs of the integrations that belong to it).
/// </summary>
internal sealed record WorkspaceContents(
    IReadOnlyList<VirtualKeyRecord> VirtualKeys, IReadOnlyList<ApiKeyRecord> ApiKeys, IReadOnlyList<string> Integrations)
{
    public bool IsEmpty => VirtualKeys.Count == 0 && ApiKeys.Count == 0 && Integrations.Count == 0;
}
