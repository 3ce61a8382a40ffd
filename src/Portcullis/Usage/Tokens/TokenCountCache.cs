using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Remembers the token counts of recent pieces of text. A chat client sends the whole conversation again on every
/// turn, so most of a request's text was counted before; looking it up costs a hash of the text instead of a pass of
/// the tokenizer. Keyed by a 64-bit XxHash3 of the text (seeded per process) with its length and encoding; bounded,
/// and emptied when full.
/// </summary>
internal static class TokenCountCache
{
    // Shorter text is cheaper to count than to hash and look up.
    private const int MinChars = 16;

    private const int MaxEntries = 100_000;

    // A secret seed per process, so nobody can craft two texts that share a key and borrow a shorter text's count.
    private static readonly long Seed = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    private static readonly ConcurrentDictionary<(ulong Hash, int Length, TokenEncoding Encoding), int> Counts = new();

    public static int CountTokens(Tokenizer tokenizer, TokenEncoding encoding, ReadOnlySpan<char> text)
    {
        if (text.Length < MinChars)
        {
            return tokenizer.CountTokens(text);
        }

        var key = (XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text), Seed), text.Length, encoding);
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
