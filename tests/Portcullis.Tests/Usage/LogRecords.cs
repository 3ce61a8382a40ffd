using Portcullis.Storage;

namespace Portcullis.Tests.Usage;

/// <summary>Request-log records for tests, written straight through the store: only what a test varies is named.</summary>
internal static class LogRecords
{
    public static RequestLogRecord Make(
        DateTimeOffset at,
        string? virtualKey = null,
        string? apiKey = null,
        string? model = "gpt-4o-mini",
        int? prompt = 10,
        int? completion = 5,
        int? total = null,
        long? costPico = null,
        int? cachedPrompt = null,
        bool estimated = false,
        string outcome = "success") => new()
    {
        Id = Guid.CreateVersion7().ToString(),
        StartedAt = at,
        TraceId = Guid.NewGuid().ToString("n"),
        ApiKeyId = apiKey,
        VirtualKeySlug = virtualKey,
        Provider = "openai",
        Model = model,
        Method = "POST",
        Path = "/v1/chat/completions",
        Status = outcome == "success" ? 200 : 0,
        Outcome = outcome,
        Stream = false,
        LatencyMs = 12.5,
        PromptTokens = prompt,
        CompletionTokens = completion,
        TotalTokens = total ?? (prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0)),
        CachedPromptTokens = cachedPrompt,
        TokensEstimated = estimated,
        CostPico = costPico,
    };

    /// <summary>A name no other test uses, so a test can filter the shared log down to its own records.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("n")[..10]}";
}
