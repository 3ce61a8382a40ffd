using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Adds up the tokens of many pieces of text in one encoding, plus fixed costs. The first
/// <see cref="ExactChars"/> characters are counted exactly; text beyond them is counted at the rate of tokens per
/// character seen so far, so a 100 MB body cannot hold a request thread for many seconds of tokenizing.
/// </summary>
internal struct TokenTally
{
    /// <summary>How much text is tokenized exactly: about 50 to 400 ms of work, depending on the text.</summary>
    public const int ExactChars = 1 << 20;

    // Text is decoded from UTF-8 in pieces this long; a piece boundary may split one token in two.
    private const int PieceChars = 64 * 1024;

    // The rate assumed for text beyond the exact part when nothing was counted exactly: OpenAI's rule of thumb.
    private const double DefaultTokensPerChar = 0.25;

    private readonly Tokenizer _tokenizer;
    private long _exactChars;
    private long _exactTokens;
    private long _overflowChars;
    private long _fixedTokens;

    public TokenTally(TokenEncoding encoding)
    {
        Encoding = encoding;
        _tokenizer = TokenCounter.TokenizerFor(encoding);
    }

    /// <summary>The encoding every piece is counted in.</summary>
    public TokenEncoding Encoding { get; }

    /// <summary>The tokens so far, the estimated part rounded up; at most <see cref="int.MaxValue"/>.</summary>
    public readonly int Total
    {
        get
        {
            double rate = _exactChars > 0 ? (double)_exactTokens / _exactChars : DefaultTokensPerChar;
            double total = _fixedTokens + _exactTokens + Math.Ceiling(_overflowChars * rate);
            return total >= int.MaxValue ? int.MaxValue : (int)Math.Max(0, total);
        }
    }

    /// <summary>Adds a cost that is not text: message framing, an image, a tool-use system prompt.</summary>
    public void AddFixed(int tokens) => _fixedTokens += tokens;

    /// <summary>Adds the tokens of <paramref name="text"/>, counted as one piece (a token never spans two calls).</summary>
    public void AddText(ReadOnlySpan<char> text)
    {
        long room = Math.Max(0, ExactChars - _exactChars);
        if (text.Length > room)
        {
            _overflowChars += text.Length - room;
            text = text[..(int)room];
        }

        if (!text.IsEmpty)
        {
            _exactChars += text.Length;
            _exactTokens += TokenCountCache.CountTokens(_tokenizer, Encoding, text);
        }
    }

    /// <summary>Adds UTF-8 text; invalid bytes count as replacement characters.</summary>
    public void AddUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return;
        }

        char[] chars = ArrayPool<char>.Shared.Rent(Math.Min(utf8.Length, PieceChars));
        try
        {
            if (utf8.Length <= chars.Length)
            {
                AddText(chars.AsSpan(0, System.Text.Encoding.UTF8.GetChars(utf8, chars)));
                return;
            }

            Decoder decoder = System.Text.Encoding.UTF8.GetDecoder();
            while (!utf8.IsEmpty)
            {
                if (_exactChars >= ExactChars)
                {
                    _overflowChars += System.Text.Encoding.UTF8.GetCharCount(utf8);
                    return;
                }

                decoder.Convert(utf8, chars, flush: true, out int bytesUsed, out int charsUsed, out _);
                AddText(chars.AsSpan(0, charsUsed));
                utf8 = utf8[bytesUsed..];
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Adds the text of the string (or property name) the reader stands on, unescaped.</summary>
    public void AddJsonString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            AddUtf8(reader.ValueSpan);
            return;
        }

        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(length, 1));
        try
        {
            int written = reader.CopyString(chars);
            AddText(chars.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
