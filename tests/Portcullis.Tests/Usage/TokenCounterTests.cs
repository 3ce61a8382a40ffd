using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class TokenCounterTests
{
    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4")]
    public void Hello_world_is_two_tokens_in_both_encodings(string model)
    {
        Assert.Equal(2, TokenCounter.CountText(model, "hello world"));
    }

    // Counts published in OpenAI's cookbook ("How to count tokens with tiktoken"), from tiktoken itself.
    [Theory]
    [InlineData("Cl100kBase", "tiktoken is great!", 6)]
    [InlineData("Cl100kBase", "antidisestablishmentarianism", 6)]
    [InlineData("Cl100kBase", "2 + 2 = 4", 7)]
    [InlineData("Cl100kBase", "お誕生日おめでとう", 9)]
    [InlineData("O200kBase", "お誕生日おめでとう", 8)]
    public void Counts_match_the_published_tiktoken_examples(string encoding, string text, int tokens)
    {
        Assert.Equal(tokens, TokenCounter.CountText(Enum.Parse<TokenEncoding>(encoding), text));
    }

    [Theory]
    [InlineData("gpt-4o", "O200kBase")]
    [InlineData("gpt-4o-mini-2024-07-18", "O200kBase")]
    [InlineData("chatgpt-4o-latest", "O200kBase")]
    [InlineData("gpt-4.1-nano", "O200kBase")]
    [InlineData("gpt-5", "O200kBase")]
    [InlineData("o1-preview", "O200kBase")]
    [InlineData("o3-mini", "O200kBase")]
    [InlineData("o4-mini", "O200kBase")]
    [InlineData("claude-sonnet-4-5", "O200kBase")]
    [InlineData("some-local-model", "O200kBase")]
    [InlineData(null, "O200kBase")]
    [InlineData("gpt-4", "Cl100kBase")]
    [InlineData("gpt-4-turbo", "Cl100kBase")]
    [InlineData("gpt-4-0613", "Cl100kBase")]
    [InlineData("GPT-4-32k", "Cl100kBase")]
    [InlineData("gpt-3.5-turbo-instruct", "Cl100kBase")]
    [InlineData("gpt-35-turbo", "Cl100kBase")]
    [InlineData("text-embedding-3-small", "Cl100kBase")]
    [InlineData("text-embedding-ada-002", "Cl100kBase")]
    [InlineData("openai/gpt-4", "Cl100kBase")]
    [InlineData("@my-key/gpt-4o", "O200kBase")]
    [InlineData("ft:gpt-3.5-turbo-0125:org::abc", "Cl100kBase")]
    public void The_encoding_follows_the_model(string? model, string expected)
    {
        Assert.Equal(Enum.Parse<TokenEncoding>(expected), TokenCounter.EncodingFor(model));
    }

    [Fact]
    public void Counting_from_many_threads_at_once_gives_the_same_counts()
    {
        string[] texts = Enumerable.Range(0, 64)
            .Select(i => string.Join(' ', Enumerable.Range(i, 200).Select(j => $"word{j % 37}x{j % 11}")))
            .ToArray();
        int[] expected = texts.Select(t => TokenCounter.CountText("gpt-4o", t)).ToArray();

        int[] counted = new int[texts.Length * 8];
        Parallel.For(0, counted.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => counted[i] = TokenCounter.CountText("gpt-4o", texts[i % texts.Length]));

        for (int i = 0; i < counted.Length; i++)
        {
            Assert.Equal(expected[i % texts.Length], counted[i]);
        }
    }

    [Fact]
    public void Text_beyond_the_exact_part_is_counted_at_the_rate_seen_so_far()
    {
        // The first part is counted exactly; the second, which tokenizes at a very different rate, is not read.
        string english = string.Concat(Enumerable.Repeat("hello world ", TokenTally.ExactChars / 12 + 1))[..TokenTally.ExactChars];
        string japanese = string.Concat(Enumerable.Repeat("お誕生日おめでとう", 50_000));
        int exactEnglish = TokenCounter.CountText(TokenEncoding.O200kBase, english);
        double rate = (double)exactEnglish / english.Length;

        var tally = new TokenTally(TokenEncoding.O200kBase);
        tally.AddText(english);
        tally.AddText(japanese);

        Assert.Equal(exactEnglish + (int)Math.Ceiling(japanese.Length * rate), tally.Total);
    }

    [Fact]
    public void Utf8_text_longer_than_one_decoding_piece_counts_like_the_same_text_in_one_piece()
    {
        string text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 4000));
        var tally = new TokenTally(TokenEncoding.O200kBase);

        tally.AddUtf8(System.Text.Encoding.UTF8.GetBytes(text));

        // A piece boundary may split one token in two: at most one extra token per 64 Ki characters.
        int exact = TokenCounter.CountText(TokenEncoding.O200kBase, text);
        Assert.InRange(tally.Total, exact, exact + text.Length / (64 * 1024) + 1);
    }
}
