namespace Portcullis.Vault;

/// <summary>The master key is missing, malformed or does not open the database: start-up must stop.</summary>
public sealed class VaultConfigurationException(string message) : Exception(message);
