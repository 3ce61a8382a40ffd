using Microsoft.Extensions.Logging.Abstractions;
using Portcullis.Storage.Sqlite;
using Portcullis.Vault;

namespace Portcullis.Tests.Vault;

public sealed class VaultServiceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portcullis-vault-" + Guid.NewGuid().ToString("n"));

    public VaultServiceTests() => Directory.CreateDirectory(_directory);

    private string KeyFile => Path.Combine(_directory, "master.key");

    private async Task<SqliteGatewayStore> StoreAsync()
    {
        var store = new SqliteGatewayStore(Path.Combine(_directory, "portcullis.db"));
        await store.InitializeAsync(CancellationToken.None);
        return store;
    }

    private static Task<VaultService> OpenAsync(IMasterKeySource source, SqliteGatewayStore store) =>
        VaultService.OpenAsync(source, store, TimeProvider.System, NullLogger.Instance, CancellationToken.None);

    [Fact]
    public async Task First_start_creates_an_owner_only_key_file()
    {
        SqliteGatewayStore store = await StoreAsync();

        await OpenAsync(new FileMasterKeySource(KeyFile), store);

        Assert.True(File.Exists(KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
    }

    [Fact]
    public async Task A_wrong_master_key_stops_start_up_with_a_clear_message()
    {
        SqliteGatewayStore store = await StoreAsync();
        string right = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        string wrong = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray());
        await OpenAsync(new EnvironmentMasterKeySource(right), store);

        var error = await Assert.ThrowsAsync<VaultConfigurationException>(() => OpenAsync(new EnvironmentMasterKeySource(wrong), store));

        Assert.Contains("does not open this database", error.Message);
        Assert.DoesNotContain(wrong, error.Message);
    }

    [Fact]
    public async Task A_missing_key_file_for_a_sealed_database_stops_start_up()
    {
        SqliteGatewayStore store = await StoreAsync();
        await OpenAsync(new FileMasterKeySource(KeyFile), store);
        File.Delete(KeyFile);

        var error = await Assert.ThrowsAsync<VaultConfigurationException>(() => OpenAsync(new FileMasterKeySource(KeyFile), store));

        Assert.Contains("No master key found", error.Message);
    }

    [Theory]
    [InlineData("not-base64!!")]
    [InlineData("AAAA")]
    [InlineData("v0:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public async Task A_malformed_environment_key_is_refused(string value)
    {
        SqliteGatewayStore store = await StoreAsync();

        await Assert.ThrowsAsync<VaultConfigurationException>(() => OpenAsync(new EnvironmentMasterKeySource(value), store));
    }

    [Fact]
    public async Task Rotation_rewraps_every_secret_and_retires_the_old_version()
    {
        SqliteGatewayStore store = await StoreAsync();
        VaultService vault = await OpenAsync(new FileMasterKeySource(KeyFile), store);
        for (int i = 0; i < 20; i++)
        {
            await store.InsertSecretAsync(vault.Seal($"s{i}", SecretPurpose.ProviderKey, "ws", $"secret-{i}-xyz"), DateTimeOffset.UtcNow, default);
        }

        VaultRotationResult result = await vault.RotateAsync(CancellationToken.None);

        Assert.Equal(2, result.ActiveVersion);
        Assert.Equal(20, result.Rewrapped);
        Assert.Contains(1, result.RetiredVersions);
        Assert.Equal(0, await store.CountSecretsAtVersionAsync(1, default));

        // A fresh process with only the key file left after rotation opens every secret.
        VaultService reopened = await OpenAsync(new FileMasterKeySource(KeyFile), store);
        foreach (SealedSecret secret in (await store.ListSecretsAsync(default)).Where(s => s.Purpose == SecretPurpose.ProviderKey))
        {
            Assert.Equal(2, secret.MasterKeyVersion);
            Assert.StartsWith("secret-", reopened.TryUnseal(secret)!.Reveal());
        }
    }

    [Fact]
    public async Task A_crash_in_the_middle_of_rotation_leaves_every_secret_readable()
    {
        SqliteGatewayStore store = await StoreAsync();
        VaultService vault = await OpenAsync(new FileMasterKeySource(KeyFile), store);
        for (int i = 0; i < 30; i++)
        {
            await store.InsertSecretAsync(vault.Seal($"s{i:00}", SecretPurpose.ProviderKey, "ws", $"secret-{i}-xyz"), DateTimeOffset.UtcNow, default);
        }

        // The process "dies" after re-wrapping 10 rows: nothing after that point runs.
        await Assert.ThrowsAsync<IOException>(() => vault.RotateAsync(CancellationToken.None,
            afterEachRow: n => n == 10 ? throw new IOException("simulated crash") : ValueTask.CompletedTask));

        var versions = (await store.ListSecretsAsync(default)).Where(s => s.Purpose == SecretPurpose.ProviderKey)
            .GroupBy(s => s.MasterKeyVersion).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(10, versions[2]);
        Assert.Equal(20, versions[1]);

        VaultService restarted = await OpenAsync(new FileMasterKeySource(KeyFile), store);
        foreach (SealedSecret secret in (await store.ListSecretsAsync(default)).Where(s => s.Purpose == SecretPurpose.ProviderKey))
        {
            Assert.StartsWith("secret-", restarted.TryUnseal(secret)!.Reveal());
        }

        // Running rotation again finishes the job.
        VaultRotationResult second = await restarted.RotateAsync(CancellationToken.None);
        Assert.Equal(0, await store.CountSecretsAtVersionAsync(1, default));
        Assert.Equal(0, await store.CountSecretsAtVersionAsync(2, default));
        Assert.Equal(3, second.ActiveVersion);
    }

    [Fact]
    public async Task Environment_keys_rotate_when_the_operator_adds_a_newer_version()
    {
        SqliteGatewayStore store = await StoreAsync();
        string v1 = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
        string v2 = Convert.ToBase64String(Enumerable.Repeat((byte)9, 32).ToArray());
        VaultService first = await OpenAsync(new EnvironmentMasterKeySource(v1), store);
        await store.InsertSecretAsync(first.Seal("s1", SecretPurpose.ProviderKey, "ws", "secret-one"), DateTimeOffset.UtcNow, default);

        VaultService second = await OpenAsync(new EnvironmentMasterKeySource($"v2:{v2},v1:{v1}"), store);
        VaultRotationResult result = await second.RotateAsync(CancellationToken.None);

        Assert.Equal(2, result.ActiveVersion);
        Assert.Contains(1, result.RetiredVersions);
        VaultService third = await OpenAsync(new EnvironmentMasterKeySource($"v2:{v2}"), store);
        Assert.Equal("secret-one", third.TryUnseal((await store.GetSecretAsync("s1", default))!)!.Reveal());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
