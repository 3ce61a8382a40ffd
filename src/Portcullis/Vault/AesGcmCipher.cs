using System.Security.Cryptography;

namespace Portcullis.Vault;

/// <summary>
/// AES-256-GCM with a 96-bit nonce and a 128-bit tag: the only parameters the vault accepts.
/// The output layout is <c>ciphertext || tag</c>.
/// </summary>
internal static class AesGcmCipher
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static void Seal(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad,
        Span<byte> ciphertextAndTag)
    {
        CheckSizes(key, nonce);
        if (ciphertextAndTag.Length != plaintext.Length + TagSize)
        {
            throw new ArgumentException("The output must be the plaintext length plus the tag.", nameof(ciphertextAndTag));
        }

        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertextAndTag[..plaintext.Length], ciphertextAndTag[plaintext.Length..], aad);
    }

    /// <summary>Decrypts and authenticates; returns false (never throws) when the tag does not verify.</summary>
    public static bool TryOpen(
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> aad,
        Span<byte> plaintext)
    {
        CheckSizes(key, nonce);
        if (ciphertextAndTag.Length < TagSize || plaintext.Length != ciphertextAndTag.Length - TagSize)
        {
            return false;
        }

        try
        {
            using var aes = new AesGcm(key, TagSize);
            int length = ciphertextAndTag.Length - TagSize;
            aes.Decrypt(nonce, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    private static void CheckSizes(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException("The vault only uses 256-bit keys.", nameof(key));
        }

        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException("The vault only uses 96-bit nonces.", nameof(nonce));
        }
    }
}
