namespace Portcullis.Vault;

/// <summary>The master-key versions the database knows and how many secrets each still wraps.</summary>
internal sealed record VaultStatus(string Source, int ActiveVersion, IReadOnlyList<VaultStatus.Version> Versions)
{
    public sealed record Version(int Number, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, long Secrets);
}
