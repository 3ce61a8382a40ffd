using Portcullis.Storage;

namespace Portcullis.Usage;

/// <summary>The request log record while the request is under way; the data plane fills it in step by step.</summary>
internal sealed class RequestLogDraft(string traceId, string method, string path, DateTimeOffset startedAt)
{
    private TokenUsage _usage;

    /// <summary>The record's id, fixed from the start so the pending row and the completed one are the same row.</summary>
    public string Id { get; } = Guid.CreateVersion7().ToString();

    public string TraceId => traceId;

    /// <summary>The data-plane route, e.g. <c>/v1/chat/completions</c>.</summary>
    public string Path => path;
    public string? ApiKeyId { get; set; }

    /// <summary>The request's workspace: its virtual key's, or the calling API key's for pass-through.</summary>
    public string? WorkspaceId { get; set; }
    public string? VirtualKeySlug { get; set; }
    public string? Provider { get; set; }
    public string? Model { get; set; }

    /// <summary>The Azure deployment an alias resolved to, when the target is an Azure OpenAI key.</summary>
    public string? Deployment { get; set; }

    /// <summary>The model the upstream says answered (Azure reports the model behind a deployment here).</summary>
    public string? UpstreamModel { get; set; }
    public int Status { get; set; }
    public string Outcome { get; set; } = "pending";
    public bool Stream { get; set; }
    public bool ClientAskedUsage { get; set; }
    public double LatencyMs { get; set; }
    /// <summary>The request's tokens, always <see cref="TokenUsage.Checked"/>: an upstream's numbers are not trusted.</summary>
    public TokenUsage Usage
    {
        get => _usage;
        set => _usage = value.Checked();
    }

    /// <summary>The request's cost in picodollars; null while (or when) no price is known.</summary>
    public long? CostPico { get; set; }

    /// <summary>Whether the request was sent upstream, and whether the upstream answered with a success status.</summary>
    public bool UpstreamCalled { get; set; }

    public bool UpstreamAnswered { get; set; }

    /// <summary>The row written before the upstream call; a crash leaves it for start-up to settle.</summary>
    public RequestLogRecord ToPendingRecord() => ToRecord() with { Outcome = "pending", Status = 0 };

    public RequestLogRecord ToRecord() => new()
    {
        Id = Id,
        StartedAt = startedAt,
        TraceId = traceId,
        ApiKeyId = ApiKeyId,
        VirtualKeySlug = VirtualKeySlug,
        Provider = Provider,
        Model = Model,
        Deployment = Deployment,
        UpstreamModel = UpstreamModel,
        Method = method,
        Path = path,
        Status = Status,
        Outcome = Outcome == "pending" ? "gateway_error" : Outcome,
        Stream = Stream,
        LatencyMs = LatencyMs,
        PromptTokens = Usage.PromptTokens,
        CompletionTokens = Usage.CompletionTokens,
        TotalTokens = Usage.TotalTokens,
        CachedPromptTokens = Usage.CachedPromptTokens,
        TokensEstimated = Usage.Estimated,
        CostPico = CostPico,
        WorkspaceId = WorkspaceId,
    };
}
