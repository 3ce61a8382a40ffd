using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>The authenticated gateway API key behind a request.</summary>
internal sealed class Caller(ApiKeyRecord key)
{
    private readonly HashSet<string> _scopes = new(key.Scopes, StringComparer.Ordinal);

    public string KeyId => key.Id;

    public string WorkspaceId => key.WorkspaceId;

    public ApiKeyRecord Record => key;

    /// <summary>An organisation key (<c>organisation-service</c> or <c>organisation-user</c>) reaches every workspace.</summary>
    public bool IsOrganisation => key.Type.StartsWith("organisation-", StringComparison.Ordinal);

    /// <summary>Whether this key may see and manage objects of <paramref name="workspaceId"/>.</summary>
    public bool CanReach(string workspaceId) =>
        IsOrganisation || string.Equals(workspaceId, key.WorkspaceId, StringComparison.Ordinal);

    public bool Has(string scope) => _scopes.Contains(Scopes.All) || _scopes.Contains(scope);

    public override string ToString() => $"Caller({KeyId})";
}
