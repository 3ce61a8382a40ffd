namespace Portcullis.Storage;

/// <summary>
/// A workspace as stored: the unit that owns virtual keys, providers, API keys, logs and usage, with its own budgets
/// and rate limits. The id is also its slug (Portkey answers both with the same value).
/// </summary>
internal sealed record WorkspaceRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>Always <c>active</c> for now; Portkey's <c>archived</c> is not offered.</summary>
    public string Status { get; init; } = "active";

    /// <summary>Portkey's <c>defaults.metadata</c>: string values attached to the workspace, as JSON; null when none.</summary>
    public string? Metadata { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Budgets (at most one per type); empty when none.</summary>
    public IReadOnlyList<Limits.UsageLimit> UsageLimits { get; init; } = [];

    public IReadOnlyList<Limits.RateLimit> RateLimits { get; init; } = [];
}
