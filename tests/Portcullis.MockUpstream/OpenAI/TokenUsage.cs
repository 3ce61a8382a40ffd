namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Token counts of one answer.</summary>
internal readonly record struct TokenUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
