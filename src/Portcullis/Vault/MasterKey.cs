using System.Security.Cryptography;

namespace Portcullis.Vault;

/// <summary>One version of the master key. Its bytes never leave this type except into a cipher call.</summary>
internal sealed class MasterKey
{
    private readonly byte[] _key;

    public MasterKey(int version, ReadOnlySpan<byte> key)
    {
        if (key.Length != AesGcmCipher.KeySize)
        {
            throw new ArgumentException("A master key is exactly 32 bytes.", nameof(key));
        }

        Version = version;
        _key = key.ToArray();
    }

    public int Version { get; }

    internal ReadOnlySpan<byte> Bytes => _key;

    public static MasterKey Generate(int version)
    {
        Span<byte> bytes = stackalloc byte[AesGcmCipher.KeySize];
        RandomNumberGenerator.Fill(bytes);
        var key = new MasterKey(version, bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return key;
    }

    internal string ToBase64() => Convert.ToBase64String(_key);

    public override string ToString() => $"MasterKey(v{Version}, ****)";
}
