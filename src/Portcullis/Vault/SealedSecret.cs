namespace Portcullis.Vault;

/// <summary>
/// A secret as it is stored: the data key wrapped by a master-key version, and the value sealed by the data key.
/// Both blobs start with a format version byte; the master-key version is kept beside them.
/// </summary>
/// <param name="Id">The record id the ciphertext is bound to.</param>
/// <param name="Purpose">What the secret is for (provider key, custom headers, ...), bound into the associated data.</param>
/// <param name="WorkspaceId">The workspace the secret belongs to, bound into the associated data.</param>
/// <param name="MasterKeyVersion">The master-key version that wrapped the data key.</param>
/// <param name="WrappedDataKey">format byte, nonce, wrapped 32-byte data key, tag.</param>
/// <param name="Ciphertext">format byte, nonce, ciphertext, tag.</param>
internal sealed record SealedSecret(
    string Id, string Purpose, string WorkspaceId, int MasterKeyVersion, byte[] WrappedDataKey, byte[] Ciphertext)
{
    public override string ToString() => $"SealedSecret({Id}, {Purpose}, master v{MasterKeyVersion})";
}
