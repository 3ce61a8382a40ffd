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

    /// <summary>
    /// The counts as Portcullis trusts them: a negative count is no count, and the total is never less than its parts
    /// (a total of 1 beside 10 prompt and 100 completion tokens would charge 1 token).
    /// </summary>
    public TokenUsage Checked()
    {
        int? prompt = PromptTokens is < 0 ? null : PromptTokens;
        int? completion = CompletionTokens is < 0 ? null : CompletionTokens;
        int? cached = CachedPromptTokens is < 0 ? null : CachedPromptTokens;
        long parts = (long)(prompt ?? 0) + (completion ?? 0);
        int? total = prompt is null && completion is null && TotalTokens is not > 0
            ? null
            : (int)Math.Min(Math.Max(TotalTokens is > 0 and int given ? given : 0, parts), int.MaxValue);
        return this with
        {
            PromptTokens = prompt, CompletionTokens = completion, CachedPromptTokens = cached, TotalTokens = total,
        };
    }
}
