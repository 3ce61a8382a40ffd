using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class TokenCountCacheTests
{
    [Fact]
    public void A_remembered_count_equals_the_tokenizers_and_texts_of_one_length_keep_their_own_counts()
    {
        var tokenizer = TokenCounter.TokenizerFor(TokenEncoding.O200kBase);
        string words = string.Join(' ', Enumerable.Repeat("portcullis", 20));
        string digits = new('7', words.Length);

        int first = TokenCountCache.CountTokens(tokenizer, TokenEncoding.O200kBase, words);
        int again = TokenCountCache.CountTokens(tokenizer, TokenEncoding.O200kBase, words);
        int other = TokenCountCache.CountTokens(tokenizer, TokenEncoding.O200kBase, digits);

        Assert.Equal(tokenizer.CountTokens(words), first);
        Assert.Equal(first, again);
        Assert.Equal(tokenizer.CountTokens(digits), other);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void The_same_text_in_another_encoding_is_counted_in_that_encoding()
    {
        string text = string.Concat(Enumerable.Repeat("Grüße aus der Burg, ", 8));

        int o200k = TokenCountCache.CountTokens(TokenCounter.TokenizerFor(TokenEncoding.O200kBase), TokenEncoding.O200kBase, text);
        int cl100k = TokenCountCache.CountTokens(TokenCounter.TokenizerFor(TokenEncoding.Cl100kBase), TokenEncoding.Cl100kBase, text);

        Assert.Equal(TokenCounter.TokenizerFor(TokenEncoding.O200kBase).CountTokens(text), o200k);
        Assert.Equal(TokenCounter.TokenizerFor(TokenEncoding.Cl100kBase).CountTokens(text), cl100k);
    }
}
