namespace Portcullis.Vault;

/// <summary>The purposes a sealed secret can have; each is bound into the ciphertext's associated data.</summary>
internal static class SecretPurpose
{
    public const string ProviderKey = "provider-key";
    public const string CustomHeaders = "custom-headers";
    public const string ApiKeyPepper = "api-key-pepper";

    /// <summary>An integration's provider key and custom headers: owned by the integration, not by a virtual key.</summary>
    public const string IntegrationKey = "integration-key";
    public const string IntegrationHeaders = "integration-headers";
}
