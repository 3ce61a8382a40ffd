using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portcullis.Vault;

/// <summary>
/// Master keys in a JSON key file readable by the owner only (<c>{"keys":{"1":"base64",...}}</c>). Writes go to a
/// temporary file that is flushed and renamed over the old one, so a crash leaves either the old or the new file.
/// </summary>
internal sealed class FileMasterKeySource(string path) : IMasterKeySource
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Description => path;

    public bool CanStoreNewVersions => true;

    public async Task<IReadOnlyList<(int Version, byte[] Key)>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken));
        }
        catch (JsonException)
        {
            throw new VaultConfigurationException($"The master key file {path} is not valid JSON.");
        }

        var keys = new List<(int, byte[])>();
        if (root?["keys"] is JsonObject entries)
        {
            foreach ((string name, JsonNode? value) in entries)
            {
                byte[] key;
                try
                {
                    key = Convert.FromBase64String(value?.GetValue<string>() ?? "");
                }
                catch (FormatException)
                {
                    throw new VaultConfigurationException($"The master key file {path} holds a key that is not base64.");
                }

                if (!int.TryParse(name, out int version) || key.Length != AesGcmCipher.KeySize)
                {
                    throw new VaultConfigurationException($"The master key file {path} holds a malformed key entry.");
                }

                keys.Add((version, key));
            }
        }

        if (keys.Count == 0)
        {
            throw new VaultConfigurationException($"The master key file {path} holds no keys.");
        }

        return keys;
    }

    public async Task AddVersionAsync(int version, byte[] key, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var keys = (await LoadAsync(cancellationToken)).ToDictionary(k => k.Version, k => k.Key);
            keys[version] = key;
            await WriteAsync(keys, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task RemoveVersionAsync(int version, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var keys = (await LoadAsync(cancellationToken)).ToDictionary(k => k.Version, k => k.Key);
            if (keys.Remove(version) && keys.Count > 0)
            {
                await WriteAsync(keys, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WriteAsync(Dictionary<int, byte[]> keys, CancellationToken cancellationToken)
    {
        var entries = new JsonObject();
        foreach ((int version, byte[] key) in keys.OrderBy(k => k.Key))
        {
            entries[version.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Convert.ToBase64String(key);
        }

        string json = new JsonObject { ["format"] = 1, ["keys"] = entries }.ToJsonString();
        string temporary = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Options = FileOptions.WriteThrough,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temporary, options))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(json), cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public override string ToString() => $"key file {path}";
}
