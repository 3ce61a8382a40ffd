using System.Security.Cryptography;
using System.Text;

namespace Portcullis.ApiKeys;

/// <summary>
/// The keyed hash stored in place of a gateway API key: HMAC-SHA256 under a random pepper that lives sealed in the
/// vault, so a copy of the database alone does not allow guessing keys offline.
/// </summary>
internal sealed class ApiKeyHasher(byte[] pepper)
{
    public byte[] Hash(string key)
    {
        int max = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = max <= 512 ? null : new byte[max];
        Span<byte> buffer = rented ?? stackalloc byte[max];
        int length = Encoding.UTF8.GetBytes(key, buffer);
        byte[] hash = HMACSHA256.HashData(pepper, buffer[..length]);
        CryptographicOperations.ZeroMemory(buffer[..length]);
        return hash;
    }

    public override string ToString() => "ApiKeyHasher(****)";
}
