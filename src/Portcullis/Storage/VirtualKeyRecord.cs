namespace Portcullis.Storage;

/// <summary>A virtual key as stored. Secrets are referenced by id, never held here.</summary>
internal sealed record VirtualKeyRecord
{
    public required string Id { get; init; }
    public required string Slug { get; init; }
    public required string WorkspaceId { get; init; }
    public required string Name { get; init; }
    public required string Provider { get; init; }
    public string? Note { get; init; }
    public required string Status { get; init; }
    public string? SecretId { get; init; }
    public string KeyMask { get; init; } = "";
    public string? CustomHost { get; init; }

    /// <summary>Provider settings that are not secret (Azure resource and deployments), as JSON.</summary>
    public string? ProviderConfig { get; init; }

    /// <summary>Names of the custom headers (their values are sealed in <see cref="CustomHeadersSecretId"/>).</summary>
    public IReadOnlyList<string> CustomHeaderNames { get; init; } = [];
    public string? CustomHeadersSecretId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Budgets (at most one per type); empty when none.</summary>
    public IReadOnlyList<Limits.UsageLimit> UsageLimits { get; init; } = [];

    public IReadOnlyList<Limits.RateLimit> RateLimits { get; init; } = [];

    /// <summary>
    /// The integration a provider is made from (its id); null for a classic virtual key that holds its own secret.
    /// </summary>
    public string? IntegrationId { get; init; }
}
