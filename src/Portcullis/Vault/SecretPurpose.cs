namespace Portcullis.Vault;

/// <summary>The purposes a sealed secret can have; each is bound into the ciphertext's associated data.</summary>
internal static class SecretPurpose
{
    public const string ProviderKey = "provider-key";
    public const string CustomHeaders = "custom-headers";
    public const string ApiKeyPepper = "api-key-pepper";
}
