using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Portcullis.ApiKeys;

/// <summary>
/// The shape of a gateway API key: <c>pcl_</c>, a 16-character public id, <c>_</c>, a 32-character random secret
/// (190 bits) and a 6-character checksum, all in base62, 59 characters in all. The public id finds the stored key in
/// one indexed lookup; the checksum (CRC-32 of everything before it) lets a mistyped or malformed key be refused before
/// anything is looked up. Underscores keep the whole key one word for double-click selection and for secret scanners.
/// </summary>
internal static class ApiKeyFormat
{
    public const string Prefix = "pcl_";
    public const int PublicIdLength = 16;
    public const int SecretLength = 32;
    public const int ChecksumLength = 6;

    /// <summary>The length of every key in this format.</summary>
    public const int Length = 4 + PublicIdLength + 1 + SecretLength + ChecksumLength;

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly SearchValues<char> Base62 = SearchValues.Create(Alphabet);

    public static string NewPublicId() => RandomNumberGenerator.GetString(Alphabet, PublicIdLength);

    /// <summary>A new key under <paramref name="publicId"/>: the same id keeps its place when a key is rotated.</summary>
    public static string NewKey(string publicId)
    {
        string body = $"{Prefix}{publicId}_{RandomNumberGenerator.GetString(Alphabet, SecretLength)}";
        return body + Checksum(body);
    }

    /// <summary>
    /// Reads the public id of a key in this format. False, with no work beyond the string itself, when the key has
    /// another length, prefix, separator or alphabet, or when its checksum does not match.
    /// </summary>
    public static bool TryParse(string key, out string publicId)
    {
        publicId = "";
        if (key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal) || key[Prefix.Length + PublicIdLength] != '_')
        {
            return false;
        }

        ReadOnlySpan<char> id = key.AsSpan(Prefix.Length, PublicIdLength);
        ReadOnlySpan<char> rest = key.AsSpan(Prefix.Length + PublicIdLength + 1);
        if (id.ContainsAnyExcept(Base62) || rest.ContainsAnyExcept(Base62))
        {
            return false;
        }

        ReadOnlySpan<char> body = key.AsSpan(0, Length - ChecksumLength);
        if (!Checksum(body).AsSpan().SequenceEqual(key.AsSpan(Length - ChecksumLength)))
        {
            return false;
        }

        publicId = id.ToString();
        return true;
    }

    /// <summary>What lists show instead of the key: the public id, which is not secret, and the last four characters.</summary>
    public static string MaskOf(string key) => TryParse(key, out string publicId)
        ? $"{Prefix}{publicId}_****{key[^4..]}"
        : Vault.SecretValue.MaskOf(key);

    // CRC-32 of the ASCII text, written as six base62 digits (62^6 > 2^32), most significant first.
    private static string Checksum(ReadOnlySpan<char> body)
    {
        Span<byte> ascii = stackalloc byte[body.Length];
        Encoding.ASCII.GetBytes(body, ascii);
        uint crc = Crc32.HashToUInt32(ascii);
        Span<char> digits = stackalloc char[ChecksumLength];
        for (int i = ChecksumLength - 1; i >= 0; i--)
        {
            digits[i] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        return digits.ToString();
    }
}
