namespace Portcullis.Vault;

/// <summary>
/// Master keys from <c>PORTCULLIS_MASTER_KEY</c>: either one base64 key of 32 bytes (version 1), or a comma-separated
/// list of <c>vN:base64</c> entries when an operator rotates (the highest version is the active one).
/// </summary>
internal sealed class EnvironmentMasterKeySource(string value) : IMasterKeySource
{
    public const string VariableName = "PORTCULLIS_MASTER_KEY";

    public string Description => VariableName;

    public bool CanStoreNewVersions => false;

    public Task<IReadOnlyList<(int Version, byte[] Key)>> LoadAsync(CancellationToken cancellationToken)
    {
        var keys = new List<(int, byte[])>();
        foreach (string raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int version = 1;
            string encoded = raw;
            int colon = raw.IndexOf(':');
            if (colon > 0 && raw[0] is 'v' or 'V')
            {
                if (!int.TryParse(raw.AsSpan(1, colon - 1), out version) || version < 1)
                {
                    throw new VaultConfigurationException($"{VariableName} has an entry with a bad version; use vN:base64.");
                }

                encoded = raw[(colon + 1)..];
            }

            keys.Add((version, Decode(encoded)));
        }

        if (keys.Count == 0)
        {
            throw new VaultConfigurationException($"{VariableName} is set but empty.");
        }

        if (keys.Select(k => k.Item1).Distinct().Count() != keys.Count)
        {
            throw new VaultConfigurationException($"{VariableName} names the same version twice.");
        }

        return Task.FromResult<IReadOnlyList<(int, byte[])>>(keys);
    }

    public Task AddVersionAsync(int version, byte[] key, CancellationToken cancellationToken) =>
        throw new VaultConfigurationException(
            $"Master keys from {VariableName} are rotated by the operator: add the new key as a 'vN:base64' entry " +
            "before the current one and restart, then rotate to re-wrap every data key.");

    public Task RemoveVersionAsync(int version, CancellationToken cancellationToken) => Task.CompletedTask;

    private static byte[] Decode(string encoded)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            throw new VaultConfigurationException($"{VariableName} is not valid base64.");
        }

        if (key.Length != AesGcmCipher.KeySize)
        {
            throw new VaultConfigurationException(
                $"{VariableName} must be the base64 of exactly 32 bytes (it decodes to {key.Length}); " +
                "generate one with: openssl rand -base64 32");
        }

        return key;
    }

    public override string ToString() => VariableName;
}
