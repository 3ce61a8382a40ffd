using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Portcullis.ApiKeys;
using Portcullis.Storage;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Tests.ApiKeys;

/// <summary>
/// How <see cref="ApiKeyService"/> recognises a key, against a real SQLite store that counts its calls: malformed keys
/// and wrong checksums never reach the store; keys of the earlier format and the operator's own key still work.
/// </summary>
public sealed class ApiKeyRecognitionTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portcullis-tests", Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero));
    private IGatewayStore _store = null!;
    private CountingStore _counter = null!;
    private ApiKeyService _keys = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var sqlite = new SqliteGatewayStore(Path.Combine(_directory, "portcullis.db"));
        await sqlite.InitializeAsync(CancellationToken.None);
        _store = CountingStore.Wrap(sqlite, out _counter);
        _keys = new ApiKeyService(_store, new ApiKeyHasher(RandomNumberGenerator.GetBytes(32)), _clock);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private Task<(ApiKeyRecord Record, string Key)> CreateAsync(string? preset = null) => _keys.CreateAsync(
        "app", "organisation-service", [Scopes.CompletionsWrite], null, Portcullis.Workspaces.WorkspaceService.DefaultId, null,
        CancellationToken.None, preset);

    [Fact]
    public async Task Malformed_keys_and_wrong_checksums_are_refused_without_any_store_call()
    {
        (_, string key) = await CreateAsync();
        await _keys.LoadAsync(CancellationToken.None);
        char last = key[^1] == 'a' ? 'b' : 'a';
        string[] refused =
        [
            key[..^1] + last,
            key + "x",
            key.Replace("pcl_", "pcl-", StringComparison.Ordinal),
            "pcl_" + new string('A', 16) + "_" + new string('B', 38),
            "sk-proj-not-a-gateway-key",
            "pcl-" + new string('z', 40),
            new string('x', 512),
            "",
        ];
        _counter.Reset();

        foreach (string presented in refused)
        {
            Assert.Null(await _keys.AuthenticateAsync(presented, CancellationToken.None));
        }

        Assert.Equal(0, _counter.Calls);

        // The counter does see a well-formed key: it is looked up once by its public id, then cached.
        Assert.NotNull(await _keys.AuthenticateAsync(key, CancellationToken.None));
        Assert.NotNull(await _keys.AuthenticateAsync(key, CancellationToken.None));
        Assert.Equal(1, _counter.Calls);
    }

    [Fact]
    public async Task A_key_of_the_earlier_format_and_an_operator_key_work_from_memory_without_a_store_call()
    {
        string legacy = "pcl-" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 40);
        (ApiKeyRecord old, _) = await CreateAsync(legacy);
        (ApiKeyRecord admin, _) = await CreateAsync("pcl-test-admin-key-0123456789abcdef");
        await _keys.LoadAsync(CancellationToken.None);
        _counter.Reset();

        Caller? first = await _keys.AuthenticateAsync(legacy, CancellationToken.None);
        Caller? second = await _keys.AuthenticateAsync("pcl-test-admin-key-0123456789abcdef", CancellationToken.None);

        Assert.Equal(old.Id, first?.KeyId);
        Assert.Equal(admin.Id, second?.KeyId);
        Assert.Null(old.PublicId);
        Assert.Equal(0, _counter.Calls);
    }

    [Fact]
    public async Task A_well_formed_key_with_a_wrong_secret_under_a_real_public_id_is_refused()
    {
        (ApiKeyRecord record, string key) = await CreateAsync();
        string forged = ApiKeyFormat.NewKey(record.PublicId!);

        Assert.Null(await _keys.AuthenticateAsync(forged, CancellationToken.None));
        Assert.NotNull(await _keys.AuthenticateAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task Rotating_a_key_of_the_earlier_format_gives_it_a_public_id_and_keeps_the_old_secret_for_the_transition()
    {
        string legacy = "pcl-" + RandomNumberGenerator.GetString("0123456789abcdef", 40);
        (ApiKeyRecord old, _) = await CreateAsync(legacy);

        (ApiKeyRecord rotated, string key) = (await _keys.RotateAsync(old.Id, TimeSpan.FromHours(1), _ => { }, CancellationToken.None))!.Value;

        Assert.NotNull(rotated.PublicId);
        Assert.True(ApiKeyFormat.TryParse(key, out string publicId));
        Assert.Equal(rotated.PublicId, publicId);
        Assert.Equal(old.Id, (await _keys.AuthenticateAsync(legacy, CancellationToken.None))?.KeyId);
        Assert.Equal(old.Id, (await _keys.AuthenticateAsync(key, CancellationToken.None))?.KeyId);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(await _keys.AuthenticateAsync(legacy, CancellationToken.None));
        Assert.Equal(old.Id, (await _keys.AuthenticateAsync(key, CancellationToken.None))?.KeyId);
    }

    [Fact]
    public async Task A_second_rotation_during_a_transition_ends_the_oldest_secret_at_once()
    {
        (ApiKeyRecord record, string first) = await CreateAsync();
        (_, string second) = (await _keys.RotateAsync(record.Id, TimeSpan.FromHours(1), _ => { }, CancellationToken.None))!.Value;

        (_, string third) = (await _keys.RotateAsync(record.Id, TimeSpan.FromHours(1), _ => { }, CancellationToken.None))!.Value;

        Assert.Null(await _keys.AuthenticateAsync(first, CancellationToken.None));
        Assert.NotNull(await _keys.AuthenticateAsync(second, CancellationToken.None));
        Assert.NotNull(await _keys.AuthenticateAsync(third, CancellationToken.None));
    }
}
