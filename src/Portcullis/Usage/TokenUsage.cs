namespace Portcullis.Usage;

/// <summary>
/// Token counts for one request: what the upstream reported, or, when <see cref="Estimated"/>, what Portcullis counted
/// itself from the text that passed through. <see cref="CachedPromptTokens"/> is the part of
/// <see cref="PromptTokens"/> the provider read from its prompt cache (priced at the cached-input rate).
/// </summary>
internal readonly record struct TokenUsage(
    int? PromptTokens, int? CompletionTokens, int? TotalTokens, int? CachedPromptTokens = null, bool Estimated = false)
{
    public bool IsKnown => PromptTokens is not null || CompletionTokens is not null || TotalTokens is not null;
}
