using Portcullis.Storage;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Tests.Usage;

/// <summary>
/// The SQL behind the usage summary and the log filter, on a fresh SQLite file per test: grouping, windows, exact
/// sums, and what counts as estimated, unpriced or pending.
/// </summary>
public sealed class UsageSummaryStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2031, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portcullis-usage-" + Guid.NewGuid().ToString("n"));
    private SqliteGatewayStore _store = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _store = new SqliteGatewayStore(Path.Combine(_directory, "portcullis.db"));
        await _store.InitializeAsync(CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task New_fields_are_stored_and_read_back()
    {
        RequestLogRecord written = LogRecords.Make(
            Noon, "vk-a", prompt: 1200, completion: 80, costPico: 4_250_000_123, cachedPrompt: 1024, estimated: true);
        RequestLogRecord unpriced = LogRecords.Make(Noon.AddSeconds(-1), "vk-a");

        await _store.InsertRequestLogsAsync([written, unpriced], CancellationToken.None);
        Page<RequestLogRecord> page = await _store.ListRequestLogsAsync(0, 10, CancellationToken.None);

        Assert.Equal(written, page.Items[0]);
        Assert.Null(page.Items[1].CostPico);
        Assert.Null(page.Items[1].CachedPromptTokens);
        Assert.False(page.Items[1].TokensEstimated);
    }

    [Fact]
    public async Task Summary_per_virtual_key_sums_each_key_and_puts_the_costliest_first()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk-cheap", prompt: 100, completion: 10, costPico: 1),
            LogRecords.Make(Noon, "vk-dear", prompt: 7, completion: 3, costPico: 100_000_000_000, cachedPrompt: 4),
            LogRecords.Make(Noon.AddMinutes(1), "vk-dear", prompt: 20, completion: 30, costPico: 200_000_000_000, cachedPrompt: 16),
            LogRecords.Make(Noon, null, prompt: 1, completion: 1, costPico: 0));

        UsageSummary summary = await SummarizeAsync(UsageGrouping.VirtualKey);

        Assert.Equal(["vk-dear", "vk-cheap", null], summary.Rows.Select(r => r.Key));
        UsageSummaryRow dear = summary.Rows[0];
        Assert.Equal(2, dear.Requests);
        Assert.Equal(27, dear.PromptTokens);
        Assert.Equal(20, dear.CachedPromptTokens);
        Assert.Equal(33, dear.CompletionTokens);
        Assert.Equal(60, dear.TotalTokens);
        Assert.Equal(300_000_000_000, dear.CostPico);
        Assert.Equal(0, summary.PendingRequests);
    }

    [Fact]
    public async Task Summary_groups_by_api_key_and_by_model_when_asked()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk", apiKey: "key-1", model: "gpt-4o", costPico: 50),
            LogRecords.Make(Noon, "vk", apiKey: "key-1", model: "claude-sonnet-4", costPico: 70),
            LogRecords.Make(Noon, "vk", apiKey: "key-2", model: "gpt-4o", costPico: 5));

        UsageSummary perKey = await SummarizeAsync(UsageGrouping.ApiKey);
        UsageSummary perModel = await SummarizeAsync(UsageGrouping.Model);

        Assert.Equal([("key-1", 2L, 120L), ("key-2", 1L, 5L)], perKey.Rows.Select(r => (r.Key, r.Requests, r.CostPico)));
        Assert.Equal(
            [("claude-sonnet-4", 1L, 70L), ("gpt-4o", 2L, 55L)], perModel.Rows.Select(r => (r.Key, r.Requests, r.CostPico)));
    }

    [Fact]
    public async Task Summary_per_day_uses_the_UTC_calendar_day_of_the_start()
    {
        await InsertAsync(
            LogRecords.Make(new DateTimeOffset(2031, 3, 9, 23, 59, 59, TimeSpan.Zero), costPico: 1),
            // 01:30 in UTC+2 is still the 9th in UTC.
            LogRecords.Make(new DateTimeOffset(2031, 3, 10, 1, 30, 0, TimeSpan.FromHours(2)), costPico: 2),
            LogRecords.Make(new DateTimeOffset(2031, 3, 10, 0, 0, 0, TimeSpan.Zero), costPico: 4),
            LogRecords.Make(new DateTimeOffset(2031, 3, 12, 8, 0, 0, TimeSpan.Zero), costPico: 8));

        UsageSummary summary = await SummarizeAsync(UsageGrouping.Day);

        Assert.Equal(
            [("2031-03-09", 2L, 3L), ("2031-03-10", 1L, 4L), ("2031-03-12", 1L, 8L)],
            summary.Rows.Select(r => (r.Key, r.Requests, r.CostPico)));
    }

    [Fact]
    public async Task Window_includes_its_start_and_excludes_its_end()
    {
        DateTimeOffset from = Noon, to = Noon.AddHours(1);
        await InsertAsync(
            LogRecords.Make(from.AddTicks(-1), "vk", costPico: 1),
            LogRecords.Make(from, "vk", costPico: 10),
            LogRecords.Make(to.AddTicks(-1), "vk", costPico: 100),
            LogRecords.Make(to, "vk", costPico: 1000));

        UsageSummary summary = await SummarizeAsync(UsageGrouping.VirtualKey, new RequestLogFilter { From = from, To = to });

        UsageSummaryRow row = Assert.Single(summary.Rows);
        Assert.Equal(2, row.Requests);
        Assert.Equal(110, row.CostPico);
    }

    [Fact]
    public async Task Filters_combine_so_a_summary_can_look_at_one_key_and_one_model()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk-a", apiKey: "key-1", model: "gpt-4o", costPico: 1),
            LogRecords.Make(Noon, "vk-a", apiKey: "key-2", model: "gpt-4o", costPico: 10),
            LogRecords.Make(Noon, "vk-a", apiKey: "key-1", model: "gpt-4o-mini", costPico: 100),
            LogRecords.Make(Noon, "vk-b", apiKey: "key-1", model: "gpt-4o", costPico: 1000));

        UsageSummary summary = await SummarizeAsync(
            UsageGrouping.Day, new RequestLogFilter { VirtualKeySlug = "vk-a", ApiKeyId = "key-1", Model = "gpt-4o" });

        Assert.Equal(1, Assert.Single(summary.Rows).CostPico);
    }

    [Fact]
    public async Task Estimated_and_unpriced_requests_are_counted_and_a_request_without_tokens_is_not_unpriced()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk", costPico: 5, estimated: true),
            LogRecords.Make(Noon, "vk", costPico: null, estimated: true),
            LogRecords.Make(Noon, "vk", costPico: null),
            LogRecords.Make(Noon, "vk", prompt: null, completion: null, costPico: null, outcome: "refused"),
            LogRecords.Make(Noon, "vk", prompt: 0, completion: 0, costPico: null, outcome: "upstream_error"));

        UsageSummaryRow row = Assert.Single((await SummarizeAsync(UsageGrouping.VirtualKey)).Rows);

        Assert.Equal(5, row.Requests);
        Assert.Equal(2, row.EstimatedRequests);
        Assert.Equal(2, row.UnpricedRequests);
        Assert.Equal(5, row.CostPico);
    }

    [Fact]
    public async Task Total_tokens_fall_back_to_prompt_plus_completion_when_a_record_has_no_total()
    {
        RequestLogRecord noTotal = LogRecords.Make(Noon, "vk", prompt: 40, completion: 2) with { TotalTokens = null };
        await InsertAsync(noTotal, LogRecords.Make(Noon, "vk", prompt: 1, completion: 1, total: 3));

        UsageSummaryRow row = Assert.Single((await SummarizeAsync(UsageGrouping.VirtualKey)).Rows);

        Assert.Equal(45, row.TotalTokens);
    }

    [Fact]
    public async Task Pending_records_are_left_out_of_the_sums_and_counted_apart()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk-a", prompt: 10, completion: 10, costPico: 3),
            LogRecords.Make(Noon, "vk-a", prompt: 500, completion: 500, costPico: 900, outcome: "pending"),
            LogRecords.Make(Noon, "vk-only-pending", costPico: 900, outcome: "pending"));

        UsageSummary summary = await SummarizeAsync(UsageGrouping.VirtualKey);

        UsageSummaryRow row = Assert.Single(summary.Rows);
        Assert.Equal(("vk-a", 1L, 20L, 3L), (row.Key, row.Requests, row.TotalTokens, row.CostPico));
        Assert.Equal(2, summary.PendingRequests);
    }

    [Fact]
    public async Task Sums_are_exact_for_amounts_a_double_would_round()
    {
        // 0.1 + 0.2 dollars, and a total far beyond 2^53 picodollars: exact only with integer arithmetic.
        long big = 5_000_000_000_000_001;
        await InsertAsync(
            LogRecords.Make(Noon, "vk", costPico: 100_000_000_000),
            LogRecords.Make(Noon, "vk", costPico: 200_000_000_000),
            LogRecords.Make(Noon, "vk", costPico: big),
            LogRecords.Make(Noon, "vk", costPico: big));

        UsageSummaryRow row = Assert.Single((await SummarizeAsync(UsageGrouping.VirtualKey)).Rows);

        Assert.Equal(10_000_300_000_000_002, row.CostPico);
        Assert.Equal(10_000.300000000002m, Portcullis.Pricing.Money.ToDollars(row.CostPico));
    }

    [Fact]
    public async Task Log_listing_filters_by_key_model_and_window_and_counts_only_what_matches()
    {
        await InsertAsync(
            LogRecords.Make(Noon, "vk-a", apiKey: "key-1", model: "gpt-4o"),
            LogRecords.Make(Noon.AddMinutes(1), "vk-a", apiKey: "key-1", model: "gpt-4o"),
            LogRecords.Make(Noon.AddMinutes(2), "vk-a", apiKey: "key-2", model: "gpt-4o"),
            LogRecords.Make(Noon.AddMinutes(3), "vk-b", apiKey: "key-1", model: "gpt-4o"),
            LogRecords.Make(Noon.AddMinutes(4), "vk-a", apiKey: "key-1", model: "o3"));

        Page<RequestLogRecord> byKeyAndModel = await _store.ListRequestLogsAsync(
            new RequestLogFilter { VirtualKeySlug = "vk-a", ApiKeyId = "key-1", Model = "gpt-4o" }, 0, 1, CancellationToken.None);
        Page<RequestLogRecord> byWindow = await _store.ListRequestLogsAsync(
            new RequestLogFilter { From = Noon.AddMinutes(1), To = Noon.AddMinutes(3) }, 0, 10, CancellationToken.None);

        Assert.Equal(2, byKeyAndModel.Total);
        Assert.Equal(Noon.AddMinutes(1), Assert.Single(byKeyAndModel.Items).StartedAt);
        Assert.Equal(2, byWindow.Total);
        Assert.Equal([Noon.AddMinutes(2), Noon.AddMinutes(1)], byWindow.Items.Select(r => r.StartedAt));
    }

    private Task InsertAsync(params RequestLogRecord[] records) =>
        _store.InsertRequestLogsAsync(records, CancellationToken.None);

    private Task<UsageSummary> SummarizeAsync(UsageGrouping grouping, RequestLogFilter? filter = null) =>
        _store.SummarizeUsageAsync(grouping, filter ?? RequestLogFilter.None, CancellationToken.None);
}
