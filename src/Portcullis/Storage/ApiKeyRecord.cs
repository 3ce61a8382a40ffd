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
}
