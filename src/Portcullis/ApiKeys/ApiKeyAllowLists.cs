namespace Portcullis.ApiKeys;

/// <summary>
/// What an API key is limited to: the slugs of virtual keys (and providers) and the models it may use. Null means no
/// limit of that kind.
/// </summary>
internal sealed record ApiKeyAllowLists(IReadOnlyList<string>? VirtualKeys, IReadOnlyList<string>? Models);
