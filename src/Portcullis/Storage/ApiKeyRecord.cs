namespace Portcullis.Storage;

/// <summary>A gateway API key as stored: only a keyed hash of the key, and a mask for display.</summary>
internal sealed record ApiKeyRecord
{
    public required string Id { get; init; }
    public required string WorkspaceId { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary><c>organisation-service</c>, <c>organisation-user</c>, <c>workspace-service</c> or <c>workspace-user</c>.</summary>
    public required string Type { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required byte[] KeyHash { get; init; }
    public required string KeyMask { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Budgets (at most one per type); empty when none.</summary>
    public IReadOnlyList<Limits.UsageLimit> UsageLimits { get; init; } = [];

    public IReadOnlyList<Limits.RateLimit> RateLimits { get; init; } = [];

    /// <summary>
    /// The key's public id (see <see cref="ApiKeys.ApiKeyFormat"/>); null for keys of the earlier format and for an
    /// operator's own <c>PORTCULLIS_ADMIN_KEY</c>, which are recognised by their hash alone.
    /// </summary>
    public string? PublicId { get; init; }

    /// <summary>The hash of the secret a rotation replaced; it still works until <see cref="PreviousKeyExpiresAt"/>.</summary>
    public byte[]? PreviousKeyHash { get; init; }

    public DateTimeOffset? PreviousKeyExpiresAt { get; init; }

    /// <summary>Slugs of the virtual keys (and providers) this key may use; null means every one.</summary>
    public IReadOnlyList<string>? AllowedVirtualKeys { get; init; }

    /// <summary>Models this key may ask for; null means every model.</summary>
    public IReadOnlyList<string>? AllowedModels { get; init; }
}
