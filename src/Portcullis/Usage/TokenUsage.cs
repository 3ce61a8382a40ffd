namespace Portcullis.Usage;

/// <summary>Token counts an upstream reported for one request.</summary>
internal readonly record struct TokenUsage(int? PromptTokens, int? CompletionTokens, int? TotalTokens)
{
    public bool IsKnown => PromptTokens is not null || CompletionTokens is not null || TotalTokens is not null;
}
