namespace Portcullis.Vault;

/// <summary>What a master-key rotation did.</summary>
internal sealed record VaultRotationResult(
    int PreviousVersion, int ActiveVersion, int Rewrapped, IReadOnlyList<int> RetiredVersions, int Unreadable);
