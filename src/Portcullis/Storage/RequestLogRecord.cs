namespace Portcullis.Storage;

/// <summary>One data-plane request: identifiers, outcome and tokens. No prompt, completion, header or secret.</summary>
internal sealed record RequestLogRecord
{
    public required string Id { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required string TraceId { get; init; }
    public string? ApiKeyId { get; init; }
    public string? VirtualKeySlug { get; init; }
    public string? Provider { get; init; }
    public string? Model { get; init; }
    public string? Deployment { get; init; }
    public string? UpstreamModel { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required int Status { get; init; }

    /// <summary><c>success</c>, <c>upstream_error</c>, <c>gateway_error</c>, <c>client_cancelled</c>, <c>timeout</c>, ...</summary>
    public required string Outcome { get; init; }
    public required bool Stream { get; init; }
    public required double LatencyMs { get; init; }
    public int? PromptTokens { get; init; }
    public int? CompletionTokens { get; init; }
    public int? TotalTokens { get; init; }

    /// <summary>The part of <see cref="PromptTokens"/> the provider read from its prompt cache.</summary>
    public int? CachedPromptTokens { get; init; }

    /// <summary>True when Portcullis counted the tokens itself because the upstream reported none.</summary>
    public bool TokensEstimated { get; init; }

    /// <summary>What the request cost in picodollars (see <see cref="Pricing.Money"/>); null when no price was known.</summary>
    public long? CostPico { get; init; }

    /// <summary>The request's workspace: its virtual key's, or the calling API key's for pass-through.</summary>
    public string? WorkspaceId { get; init; }
}
