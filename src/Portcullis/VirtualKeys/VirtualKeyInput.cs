namespace Portcullis.VirtualKeys;

/// <summary>
/// The fields of a create or update request. On update a null field is left as it is; <see cref="CustomHeaders"/>
/// replaces the whole map when given.
/// </summary>
internal sealed class VirtualKeyInput
{
    public string? Name { get; init; }
    public string? Provider { get; init; }
    public string? Key { get; init; }
    public string? Note { get; init; }
    public bool NoteGiven { get; init; }
    public string? CustomHost { get; init; }
    public bool CustomHostGiven { get; init; }
    public IReadOnlyDictionary<string, string>? CustomHeaders { get; init; }

    /// <summary>Create a virtual key that shares the stored secret of this existing virtual key.</summary>
    public string? ShareKeyWith { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool ExpiresAtGiven { get; init; }
    public string? WorkspaceId { get; init; }

    /// <summary>Azure OpenAI resource, deployments and key header; on update, replaces the stored ones when given.</summary>
    public Providers.AzureConfig? Azure { get; init; }

    /// <summary>Budgets; null when not given (on update: unchanged), empty to remove them.</summary>
    public IReadOnlyList<Limits.UsageLimit>? UsageLimits { get; init; }

    /// <summary>Rate limits; null when not given (on update: unchanged), empty to remove them.</summary>
    public IReadOnlyList<Limits.RateLimit>? RateLimits { get; init; }

    public override string ToString() => $"VirtualKeyInput({Name}, {Provider})";
}
