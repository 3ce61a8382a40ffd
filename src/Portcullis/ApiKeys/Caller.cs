using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>The authenticated gateway API key behind a request.</summary>
internal sealed class Caller(ApiKeyRecord key)
{
    private readonly HashSet<string> _scopes = new(key.Scopes, StringComparer.Ordinal);

    private readonly HashSet<string>? _models = key.AllowedModels is { } models ? new(models, StringComparer.Ordinal) : null;

    private readonly HashSet<string>? _virtualKeys =
        key.AllowedVirtualKeys is { } slugs ? new(slugs, StringComparer.Ordinal) : null;

    public string KeyId => key.Id;

    public string WorkspaceId => key.WorkspaceId;

    public ApiKeyRecord Record => key;

    /// <summary>An organisation key (<c>organisation-service</c> or <c>organisation-user</c>) reaches every workspace.</summary>
    public bool IsOrganisation => key.Type.StartsWith("organisation-", StringComparison.Ordinal);

    /// <summary>Whether this key may see and manage objects of <paramref name="workspaceId"/>.</summary>
    public bool CanReach(string workspaceId) =>
        IsOrganisation || string.Equals(workspaceId, key.WorkspaceId, StringComparison.Ordinal);

    /// <summary>The models this key may ask for, as the client names them; null when every model is allowed.</summary>
    public IReadOnlyList<string>? AllowedModels => key.AllowedModels;

    /// <summary>The virtual keys and providers (by slug) this key may use; null when every one is allowed.</summary>
    public IReadOnlyList<string>? AllowedVirtualKeys => key.AllowedVirtualKeys;

    /// <summary>Whether this key may ask for <paramref name="model"/> (exact, case-sensitive, without an <c>@slug/</c>).</summary>
    public bool AllowsModel(string model) => _models is null || _models.Contains(model);

    /// <summary>Whether this key may use the virtual key or provider <paramref name="slug"/>.</summary>
    public bool AllowsVirtualKey(string slug) => _virtualKeys is null || _virtualKeys.Contains(slug);

    public bool Has(string scope) => _scopes.Contains(Scopes.All) || _scopes.Contains(scope);

    public override string ToString() => $"Caller({KeyId})";
}
