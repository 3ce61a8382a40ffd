using Microsoft.ML.Tokenizers;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Counts tokens with the tiktoken encoding a model uses. The two tokenizers are built on first use (o200k_base takes
/// about 0.4 s and 40 MiB, cl100k_base 0.2 s and 20 MiB) and shared by every thread: their only mutable part, a
/// cache of recent words, takes a lock around each use.
/// </summary>
/// <remarks>
/// Anthropic's and other providers' models have tokenizers of their own that are not published; o200k_base stands in
/// for them. Their counts are an approximation, good enough to reserve against a budget and to estimate a cut stream,
/// and the upstream's own usage replaces them whenever it arrives.
/// </remarks>
internal static class TokenCounter
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>
    /// The encoding of <paramref name="model"/>: cl100k_base for GPT-4 (not 4o or 4.x), GPT-3.5, text-embedding-*
    /// and the base models davinci-002 and babbage-002; o200k_base for everything else, unknown models included.
    /// A provider or catalog prefix (<c>openai/</c>, <c>@key/</c>) and a fine-tune prefix (<c>ft:</c>) are ignored.
    /// </summary>
    public static TokenEncoding EncodingFor(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return TokenEncoding.O200kBase;
        }

        ReadOnlySpan<char> name = model.AsSpan();
        int slash = name.LastIndexOf('/');
        name = name[(slash + 1)..];
        if (name.StartsWith("ft:", StringComparison.OrdinalIgnoreCase))
        {
            name = name[3..];
        }

        bool gpt4 = name.Equals("gpt-4", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("gpt-4-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("gpt-4:", StringComparison.OrdinalIgnoreCase);
        bool cl100k = gpt4
            || name.StartsWith("gpt-3.5", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("gpt-35", StringComparison.OrdinalIgnoreCase) // Azure's spelling
            || name.StartsWith("text-embedding-", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("davinci-002", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("babbage-002", StringComparison.OrdinalIgnoreCase);
        return cl100k ? TokenEncoding.Cl100kBase : TokenEncoding.O200kBase;
    }

    /// <summary>
    /// Builds the tokenizer of <paramref name="encoding"/> now, so the first request a budget applies to does not wait
    /// for it: for a start-up that knows budgets or token rate limits are configured.
    /// </summary>
    public static void Preload(TokenEncoding encoding) => _ = TokenizerFor(encoding);

    /// <summary>The shared tokenizer of <paramref name="encoding"/>, built on first use.</summary>
    public static Tokenizer TokenizerFor(TokenEncoding encoding) =>
        encoding == TokenEncoding.Cl100kBase ? Cl100k.Value : O200k.Value;

    /// <summary>The number of tokens <paramref name="text"/> encodes to for <paramref name="model"/>.</summary>
    public static int CountText(string? model, ReadOnlySpan<char> text) => CountText(EncodingFor(model), text);

    /// <summary>The number of tokens <paramref name="text"/> encodes to in <paramref name="encoding"/>.</summary>
    public static int CountText(TokenEncoding encoding, ReadOnlySpan<char> text) =>
        text.IsEmpty ? 0 : TokenizerFor(encoding).CountTokens(text);
}
