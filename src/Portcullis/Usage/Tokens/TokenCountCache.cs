using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Remembers the token counts of recent pieces of text. A chat client sends the whole conversation again on every
/// turn, so most of a request's text was counted before; looking it up costs a hash of the text instead of a pass of
/// the tokenizer. Keyed by a 64-bit XxHash3 of the text with its length and encoding; bounded, and emptied when full.
/// </summary>
internal static class TokenCountCache
{
    // Shorter text is cheaper to count than to hash and look up.
    private const int MinChars = 64;

    private const int MaxEntries = 100_000;

    private static readonly ConcurrentDictionary<(ulong Hash, int Length, TokenEncoding Encoding), int> Counts = new();

    public static int CountTokens(Tokenizer tokenizer, TokenEncoding encoding, ReadOnlySpan<char> text)
    {
        if (text.Length < MinChars)
        {
            return tokenizer.CountTokens(text);
        }

        var key = (XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text)), text.Length, encoding);
        if (Counts.TryGetValue(key, out int count))
        {
            return count;
        }

        count = tokenizer.CountTokens(text);
        if (Counts.Count >= MaxEntries)
        {
            Counts.Clear();
        }

        Counts[key] = count;
        return count;
    }
}
