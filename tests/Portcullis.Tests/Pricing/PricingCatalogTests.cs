using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Pricing;
using Portcullis.Storage;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Tests.Pricing;

/// <summary>
/// The catalog against a real SQLite file: which price a lookup finds (virtual key, then override, then shipped),
/// how model names match, that a change shows at once and survives a restart, and that a hit allocates nothing.
/// </summary>
public sealed class PricingCatalogTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portcullis-pricing-" + Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private SqliteGatewayStore _store = null!;
    private PricingCatalog _catalog = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = new SqliteGatewayStore(Path.Combine(_directory, "portcullis.db"));
        await _store.InitializeAsync(CancellationToken.None);
        _catalog = await PricingCatalog.LoadAsync(_store, _time, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void Shipped_price_is_found_by_exact_name_ignoring_case()
    {
        ModelPrice? price = _catalog.Find(null, "GPT-4o");

        Assert.NotNull(price);
        Assert.Equal(PriceSource.Shipped, price.Source);
        Assert.Equal(Money.PerMillionToPerToken(2.50m), price.InputPerToken);
        Assert.Equal(Money.PerMillionToPerToken(1.25m), price.CachedInputPerToken);
        Assert.Equal(Money.PerMillionToPerToken(10m), price.OutputPerToken);
        Assert.Equal(16384, price.MaxOutputTokens);
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-3-5-haiku-20241022", "claude-3-5-haiku")]
    [InlineData("CLAUDE-3-5-HAIKU-LATEST", "claude-3-5-haiku")]
    public void A_dated_snapshot_is_priced_as_its_model(string requested, string priced)
    {
        PriceEntry? entry = _catalog.Resolve(null, requested);

        Assert.NotNull(entry);
        Assert.Equal(priced, entry.Model);
        Assert.Same(_catalog.Find(null, priced), _catalog.Find(null, requested));
    }

    [Fact]
    public void An_exactly_listed_snapshot_keeps_its_own_price()
    {
        // gpt-4o-2024-05-13 was priced higher than gpt-4o; the exact entry wins over the stripped name.
        ModelPrice? snapshot = _catalog.Find(null, "gpt-4o-2024-05-13");

        Assert.NotNull(snapshot);
        Assert.Equal(Money.PerMillionToPerToken(5m), snapshot.InputPerToken);
        Assert.NotEqual(_catalog.Find(null, "gpt-4o")!.InputPerToken, snapshot.InputPerToken);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-such-model")]
    [InlineData("gpt-4o-extra")]
    [InlineData("gpt-4o-2024-13")]
    [InlineData("mock-model")]
    public void Unknown_models_have_no_price_rather_than_a_free_one(string? model)
    {
        Assert.Null(_catalog.Find(null, model));
        Assert.Null(_catalog.Find("some-key", model));
    }

    [Fact]
    public async Task Override_applies_at_once_and_its_removal_brings_back_the_shipped_price()
    {
        ModelPrice shipped = _catalog.Find(null, "gpt-4o")!;

        PriceEntry? set = await _catalog.SetAsync(null, "GPT-4o", Price(1m, 0.5m, 3m, 1000), CancellationToken.None);
        ModelPrice? overridden = _catalog.Find(null, "gpt-4o-2024-08-06");
        bool removed = await _catalog.RemoveAsync(null, "gpt-4o", CancellationToken.None);

        Assert.NotNull(set);
        Assert.Equal("gpt-4o", set.Model);
        Assert.Equal(_time.GetUtcNow(), set.UpdatedAt);
        Assert.NotNull(overridden);
        Assert.Equal(PriceSource.Override, overridden.Source);
        Assert.Equal(Money.PerMillionToPerToken(1m), overridden.InputPerToken);
        Assert.Equal(1000, overridden.MaxOutputTokens);
        Assert.True(removed);
        Assert.Same(shipped, _catalog.Find(null, "gpt-4o"));
        Assert.False(await _catalog.RemoveAsync(null, "gpt-4o", CancellationToken.None));
    }

    [Fact]
    public async Task A_virtual_key_price_comes_before_the_override_and_only_for_that_key()
    {
        await AddVirtualKeyAsync("team-a");
        await AddVirtualKeyAsync("team-b");
        await _catalog.SetAsync(null, "mock-model", Price(10m, 1m, 20m), CancellationToken.None);
        await _catalog.SetAsync("team-a", "mock-model", Price(7m, 0.7m, 14m), CancellationToken.None);

        ModelPrice? teamA = _catalog.Find("team-a", "mock-model");
        ModelPrice? teamB = _catalog.Find("team-b", "mock-model");
        ModelPrice? noKey = _catalog.Find(null, "mock-model");
        ModelPrice? teamAShipped = _catalog.Find("team-a", "gpt-4o");

        Assert.Equal(PriceSource.VirtualKey, teamA!.Source);
        Assert.Equal(Money.PerMillionToPerToken(7m), teamA.InputPerToken);
        Assert.Equal(PriceSource.Override, teamB!.Source);
        Assert.Equal(Money.PerMillionToPerToken(10m), teamB.InputPerToken);
        Assert.Same(teamB, noKey);
        Assert.Equal(PriceSource.Shipped, teamAShipped!.Source);
    }

    [Fact]
    public async Task Each_level_tries_the_exact_name_and_then_the_undated_one_before_the_next_level()
    {
        await AddVirtualKeyAsync("team-a");
        await _catalog.SetAsync("team-a", "gpt-4o", Price(3m, 3m, 3m), CancellationToken.None);

        // The shipped list has gpt-4o-2024-05-13 exactly, but the key's own gpt-4o price comes first.
        Assert.Equal(PriceSource.VirtualKey, _catalog.Find("team-a", "gpt-4o-2024-05-13")!.Source);
        Assert.Equal(PriceSource.Shipped, _catalog.Find(null, "gpt-4o-2024-05-13")!.Source);
    }

    [Fact]
    public async Task A_price_for_a_virtual_key_that_does_not_exist_is_refused_and_stores_nothing()
    {
        PriceEntry? set = await _catalog.SetAsync("ghost", "gpt-4o", Price(1m, 1m, 1m), CancellationToken.None);

        Assert.Null(set);
        Assert.Empty(await _store.ListModelPricesAsync(CancellationToken.None));
        Assert.Equal(PriceSource.Shipped, _catalog.Find("ghost", "gpt-4o")!.Source);
    }

    [Fact]
    public async Task Prices_set_before_a_restart_are_loaded_at_start()
    {
        await AddVirtualKeyAsync("team-a");
        await _catalog.SetAsync(null, "my-local-llama", Price(0.1m, 0.1m, 0.2m), CancellationToken.None);
        await _catalog.SetAsync("team-a", "gpt-4o", Price(9m, 9m, 9m), CancellationToken.None);

        PricingCatalog restarted = await PricingCatalog.LoadAsync(_store, _time, CancellationToken.None);

        Assert.Equal(Money.PerMillionToPerToken(0.1m), restarted.Find(null, "my-local-llama")!.InputPerToken);
        Assert.Equal(Money.PerMillionToPerToken(9m), restarted.Find("team-a", "gpt-4o")!.InputPerToken);
    }

    [Fact]
    public async Task Deleting_a_virtual_key_deletes_its_prices_in_the_store()
    {
        await AddVirtualKeyAsync("team-a");
        await _catalog.SetAsync("team-a", "gpt-4o", Price(9m, 9m, 9m), CancellationToken.None);
        await _catalog.SetAsync(null, "gpt-4o", Price(8m, 8m, 8m), CancellationToken.None);

        Assert.True(await _store.DeleteVirtualKeyAsync("team-a", CancellationToken.None));
        await _catalog.ReloadAsync(CancellationToken.None);

        ModelPriceRecord remaining = Assert.Single(await _store.ListModelPricesAsync(CancellationToken.None));
        Assert.Equal(ModelPriceRecord.Organisation, remaining.Scope);
        Assert.Equal(PriceSource.Override, _catalog.Find("team-a", "gpt-4o")!.Source);
    }

    [Fact]
    public async Task Concurrent_changes_all_end_up_in_the_table()
    {
        Task[] changes = Enumerable.Range(0, 40)
            .Select(i => _catalog.SetAsync(null, $"model-{i}", Price(i, i, i), CancellationToken.None))
            .ToArray();
        await Task.WhenAll(changes);

        Assert.All(Enumerable.Range(0, 40),
            i => Assert.Equal(Money.PerMillionToPerToken(i), _catalog.Find(null, $"model-{i}")!.InputPerToken));
    }

    [Fact]
    public async Task A_lookup_that_hits_allocates_nothing()
    {
        await AddVirtualKeyAsync("team-a");
        await _catalog.SetAsync("team-a", "mock-model", Price(7m, 0.7m, 14m), CancellationToken.None);
        await _catalog.SetAsync(null, "gpt-4.1", Price(1m, 1m, 1m), CancellationToken.None);
        string[] models =
            ["gpt-4o", "GPT-4O-MINI", "gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929", "mock-model", "gpt-4.1-2025-04-14"];
        for (int i = 0; i < 200; i++)
        {
            LookUpAll(models);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = LookUpAll(models);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(models.Length * 1000, found);
        Assert.Equal(0, allocated);
    }

    private int LookUpAll(string[] models)
    {
        int found = 0;
        for (int i = 0; i < 1000; i++)
        {
            foreach (string model in models)
            {
                found += _catalog.Find("team-a", model) is null ? 0 : 1;
            }
        }

        return found;
    }

    private static ModelPrice Price(decimal input, decimal cached, decimal output, int? maxOutput = null) => new(
        Money.PerMillionToPerToken(input), Money.PerMillionToPerToken(cached), Money.PerMillionToPerToken(output), maxOutput);

    private Task AddVirtualKeyAsync(string slug) => _store.CreateVirtualKeyAsync(new VirtualKeyRecord
    {
        Id = Guid.NewGuid().ToString(),
        Slug = slug,
        WorkspaceId = "default",
        Name = slug,
        Provider = "openai",
        Status = "active",
        CreatedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
    }, [], _time.GetUtcNow(), CancellationToken.None);
}
