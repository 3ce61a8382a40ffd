using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>The authenticated gateway API key behind a request.</summary>
internal sealed class Caller(ApiKeyRecord key)
{
    private readonly HashSet<string> _scopes = new(key.Scopes, StringComparer.Ordinal);

    public string KeyId => key.Id;

    public string WorkspaceId => key.WorkspaceId;

    public ApiKeyRecord Record => key;

    public bool Has(string scope) => _scopes.Contains(Scopes.All) || _scopes.Contains(scope);

    public override string ToString() => $"Caller({KeyId})";
}
