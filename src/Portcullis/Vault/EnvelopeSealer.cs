using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Portcullis.Vault;

/// <summary>
/// Envelope encryption: each secret gets a fresh 256-bit data key; the value is sealed with the data key and the data
/// key is wrapped by the active master key. Associated data binds both blobs to the record's purpose, workspace and id
/// (and the wrapped key also to the master-key version), so a blob copied into another row does not open.
/// </summary>
internal sealed class EnvelopeSealer(MasterKeyRing ring)
{
    /// <summary>The first byte of every blob the vault writes.</summary>
    public const byte FormatVersion = 1;

    private const int HeaderSize = 1 + AesGcmCipher.NonceSize;

    public MasterKeyRing Ring => ring;

    public SealedSecret Seal(string id, string purpose, string workspaceId, string plaintext)
    {
        byte[] clear = Encoding.UTF8.GetBytes(plaintext);
        Span<byte> dataKey = stackalloc byte[AesGcmCipher.KeySize];
        try
        {
            RandomNumberGenerator.Fill(dataKey);
            MasterKey master = ring.Active;
            byte[] ciphertext = SealBlob(dataKey, clear, ValueAad(purpose, workspaceId, id));
            byte[] wrapped = SealBlob(master.Bytes, dataKey, KeyAad(purpose, workspaceId, id, master.Version));
            return new SealedSecret(id, purpose, workspaceId, master.Version, wrapped, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(clear);
        }
    }

    /// <summary>Opens a sealed secret; returns null when any blob fails to authenticate or its master key is unknown.</summary>
    public SecretValue? TryUnseal(SealedSecret sealedSecret)
    {
        Span<byte> dataKey = stackalloc byte[AesGcmCipher.KeySize];
        try
        {
            if (!TryUnwrap(sealedSecret, dataKey))
            {
                return null;
            }

            byte[]? clear = OpenBlob(
                dataKey, sealedSecret.Ciphertext, ValueAad(sealedSecret.Purpose, sealedSecret.WorkspaceId, sealedSecret.Id));
            if (clear is null)
            {
                return null;
            }

            string value = Encoding.UTF8.GetString(clear);
            CryptographicOperations.ZeroMemory(clear);
            return value.Length == 0 ? null : new SecretValue(value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Re-wraps the data key under the active master key; the sealed value itself is untouched.</summary>
    public SealedSecret? TryRewrap(SealedSecret sealedSecret)
    {
        Span<byte> dataKey = stackalloc byte[AesGcmCipher.KeySize];
        try
        {
            if (!TryUnwrap(sealedSecret, dataKey))
            {
                return null;
            }

            MasterKey master = ring.Active;
            byte[] wrapped = SealBlob(
                master.Bytes, dataKey, KeyAad(sealedSecret.Purpose, sealedSecret.WorkspaceId, sealedSecret.Id, master.Version));
            return sealedSecret with { MasterKeyVersion = master.Version, WrappedDataKey = wrapped };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>A value sealed under one master key that proves, at start-up, that the configured key is the right one.</summary>
    public static byte[] KeyCheck(MasterKey key) => SealBlob(key.Bytes, KeyCheckPlaintext, KeyCheckAad(key.Version));

    public static bool VerifyKeyCheck(MasterKey key, byte[] check)
    {
        byte[]? clear = OpenBlob(key.Bytes, check, KeyCheckAad(key.Version));
        return clear is not null && clear.AsSpan().SequenceEqual(KeyCheckPlaintext);
    }

    private bool TryUnwrap(SealedSecret sealedSecret, Span<byte> dataKey)
    {
        if (!ring.TryGet(sealedSecret.MasterKeyVersion, out MasterKey master))
        {
            return false;
        }

        byte[]? key = OpenBlob(
            master,
            sealedSecret.WrappedDataKey,
            KeyAad(sealedSecret.Purpose, sealedSecret.WorkspaceId, sealedSecret.Id, sealedSecret.MasterKeyVersion));
        if (key is null || key.Length != AesGcmCipher.KeySize)
        {
            return false;
        }

        key.CopyTo(dataKey);
        CryptographicOperations.ZeroMemory(key);
        return true;
    }

    // Unwrapping happens on every request, so each thread keeps the cipher of each master key it has used.
    [ThreadStatic]
    private static Dictionary<MasterKey, AesGcm>? t_masterCiphers;

    private static byte[]? OpenBlob(MasterKey master, byte[] blob, byte[] aad)
    {
        if (blob.Length < HeaderSize + AesGcmCipher.TagSize || blob[0] != FormatVersion)
        {
            return null;
        }

        t_masterCiphers ??= new Dictionary<MasterKey, AesGcm>(ReferenceEqualityComparer.Instance);
        if (!t_masterCiphers.TryGetValue(master, out AesGcm? cipher))
        {
            cipher = new AesGcm(master.Bytes, AesGcmCipher.TagSize);
            t_masterCiphers[master] = cipher;
        }

        var clear = new byte[blob.Length - HeaderSize - AesGcmCipher.TagSize];
        int length = clear.Length;
        try
        {
            cipher.Decrypt(
                blob.AsSpan(1, AesGcmCipher.NonceSize), blob.AsSpan(HeaderSize, length), blob.AsSpan(HeaderSize + length), clear, aad);
            return clear;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] SealBlob(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, byte[] aad)
    {
        var blob = new byte[HeaderSize + plaintext.Length + AesGcmCipher.TagSize];
        blob[0] = FormatVersion;
        Span<byte> nonce = blob.AsSpan(1, AesGcmCipher.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        AesGcmCipher.Seal(key, nonce, plaintext, aad, blob.AsSpan(HeaderSize));
        return blob;
    }

    private static byte[]? OpenBlob(ReadOnlySpan<byte> key, byte[] blob, byte[] aad)
    {
        if (blob.Length < HeaderSize + AesGcmCipher.TagSize || blob[0] != FormatVersion)
        {
            return null;
        }

        var clear = new byte[blob.Length - HeaderSize - AesGcmCipher.TagSize];
        bool ok = AesGcmCipher.TryOpen(key, blob.AsSpan(1, AesGcmCipher.NonceSize), blob.AsSpan(HeaderSize), aad, clear);
        return ok ? clear : null;
    }

    private static readonly byte[] KeyCheckPlaintext = "portcullis master key check"u8.ToArray();

    private static byte[] KeyCheckAad(int version) => Aad("key-check", "", "", version);

    private static byte[] ValueAad(string purpose, string workspaceId, string id) => Aad("value", purpose, workspaceId, id, 0);

    private static byte[] KeyAad(string purpose, string workspaceId, string id, int masterVersion) =>
        Aad("data-key", purpose, workspaceId, id, masterVersion);

    private static byte[] Aad(string kind, string purpose, string workspaceId, int version) =>
        Aad(kind, purpose, workspaceId, "", version);

    // Length-prefixed fields, so no two different tuples can produce the same associated data.
    private static byte[] Aad(string kind, string purpose, string workspaceId, string id, int masterVersion)
    {
        using var stream = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        stream.WriteByte(FormatVersion);
        foreach (string field in (ReadOnlySpan<string>)["portcullis", kind, purpose, workspaceId, id])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(number, bytes.Length);
            stream.Write(number);
            stream.Write(bytes);
        }

        BinaryPrimitives.WriteInt32BigEndian(number, masterVersion);
        stream.Write(number);
        return stream.ToArray();
    }
}
