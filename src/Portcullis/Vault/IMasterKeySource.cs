namespace Portcullis.Vault;

/// <summary>
/// Where master keys come from: an environment variable, a key file, or an external key service. Small on purpose,
/// so a KMS-backed source can be added without touching the vault.
/// </summary>
public interface IMasterKeySource
{
    /// <summary>A short name for messages, such as <c>PORTCULLIS_MASTER_KEY</c> or the key file's path.</summary>
    string Description { get; }

    /// <summary>Whether <see cref="AddVersionAsync"/> can store a newly generated version.</summary>
    bool CanStoreNewVersions { get; }

    /// <summary>Loads every version the source holds, as (version, 32 key bytes); empty when it holds none yet.</summary>
    Task<IReadOnlyList<(int Version, byte[] Key)>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Durably stores a new version beside the existing ones.</summary>
    Task AddVersionAsync(int version, byte[] key, CancellationToken cancellationToken);

    /// <summary>Forgets a version that no stored secret depends on any more.</summary>
    Task RemoveVersionAsync(int version, CancellationToken cancellationToken);
}
