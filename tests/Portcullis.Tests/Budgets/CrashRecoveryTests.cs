using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Pricing;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Hosting;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// The pending usage record is on disk before the upstream call: a gateway killed with SIGKILL while a request is at
/// the upstream finds it at the next start and charges the budget its worst case, so a crash never makes spend vanish.
/// A long stream notes its progress, and is charged what it had streamed instead.
/// </summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private readonly string _adminKey = "admin-" + Guid.NewGuid().ToString("n");
    private readonly ServeSandbox _sandbox = new();
    private MockUpstreamServer _mock = null!;

    public async Task InitializeAsync() => _mock = await MockUpstreamServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        await _mock.DisposeAsync();
    }

    [Fact]
    public async Task A_request_in_flight_when_the_process_is_killed_is_settled_at_its_worst_case_on_the_next_start()
    {
        (PortcullisProcess gateway, HttpClient admin, string slug) = await StartWithBudgetedKeyAsync();

        // 1. A request reaches the upstream, which never answers; then the gateway dies without a chance to write.
        _mock.Enqueue(MockScript.Hang());
        string body = BudgetKit.ChatBody(500);
        Task<HttpResponseMessage> inFlight = admin.SendAsync(BudgetKit.Chat(slug, body));
        await _mock.WaitForRequestAsync(1, TimeSpan.FromSeconds(10));
        await KillAsync(gateway);
        await Assert.ThrowsAnyAsync<Exception>(() => inFlight);

        // 2. The next start settles it: the log row says interrupted, and the budget holds the worst case.
        (PortcullisProcess again, HttpClient after) = await RestartAsync();
        JsonNode logs = (await after.GetFromJsonAsync<JsonNode>("/v1/logs"))!;
        JsonNode log = Assert.Single(logs["data"]!.AsArray())!;
        Assert.Equal("interrupted", log["outcome"]!.GetValue<string>());
        JsonNode key = (await after.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;
        long worst = CostCalculator.WorstCase(BudgetKit.MockPrice, BudgetKit.PromptTokensOf(body), 500);
        Assert.Equal(Money.ToDollars(worst), key["usage_limits"]!["current_usage"]!.GetValue<decimal>());
        Assert.Equal(Money.ToDollars(worst), log["cost"]!.GetValue<decimal>());
        Assert.True(log["tokens_estimated"]!.GetValue<bool>());
        Assert.Equal(0, await ServeSandbox.StopAsync(again));
    }

    [Fact]
    public async Task A_stream_killed_midway_is_settled_from_what_it_had_streamed_not_its_worst_case()
    {
        (PortcullisProcess gateway, HttpClient admin, string slug) = await StartWithBudgetedKeyAsync();
        _mock.Enqueue(MockScript.Sse(Enumerable.Range(0, 600).Select(i => BudgetKit.Chunk(" word" + i)),
            delayBetweenFrames: TimeSpan.FromMilliseconds(100)));

        // 1. About two and a half seconds of a slow stream arrive (several progress notes); then the gateway dies.
        string body = BudgetKit.ChatBody(4000, stream: true);
        using HttpResponseMessage response =
            await admin.SendAsync(BudgetKit.Chat(slug, body), HttpCompletionOption.ResponseHeadersRead);
        Stream stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[8192];
        var watch = System.Diagnostics.Stopwatch.StartNew();

        // The progress note is written behind the stream: the kill waits until one is on disk, not for a fixed time.
        while (watch.Elapsed < TimeSpan.FromSeconds(2.5) || !await ProgressNotedAsync())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "no progress note was written within 30 s");
            _ = await stream.ReadAsync(buffer);
        }

        await KillAsync(gateway);

        // 2. Charged for the prompt and the words streamed by the last note: more than the prompt, far below the
        //    worst case of 4000 output tokens.
        (PortcullisProcess again, HttpClient after) = await RestartAsync();
        JsonNode key = (await after.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;
        decimal charged = key["usage_limits"]!["current_usage"]!.GetValue<decimal>();
        int prompt = BudgetKit.PromptTokensOf(body);
        Assert.InRange(charged,
            Money.ToDollars(CostCalculator.WorstCase(BudgetKit.MockPrice, prompt, 10)),
            Money.ToDollars(CostCalculator.WorstCase(BudgetKit.MockPrice, prompt, 200)));
        Assert.Equal(0, await ServeSandbox.StopAsync(again));
    }

    // Whether the gateway has noted a running stream's progress in the database yet (read-only, beside it).
    private async Task<bool> ProgressNotedAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(_sandbox.DataDirectory, "portcullis.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM usage_reservations WHERE progress IS NOT NULL";
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private Dictionary<string, string?> Environment => new()
    {
        ["PORTCULLIS_ADMIN_KEY"] = _adminKey,
        ["Portcullis__ProviderBaseUrls__openai"] = _mock.BaseUrl.ToString(),
    };

    // The real program, mock-model priced at the test table's rates, and a virtual key with a $1 hard budget.
    private async Task<(PortcullisProcess Gateway, HttpClient Admin, string Slug)> StartWithBudgetedKeyAsync()
    {
        (PortcullisProcess gateway, Uri baseUrl) = await _sandbox.StartHealthyAsync(Environment);
        HttpClient admin = Client(baseUrl);
        (await admin.PutAsJsonAsync("/v1/admin/pricing",
            new JsonObject { ["model"] = "mock-model", ["input"] = 10, ["output"] = 20 })).EnsureSuccessStatusCode();
        using HttpResponseMessage created = await admin.PostAsJsonAsync("/v1/virtual-keys", new JsonObject
        {
            ["name"] = "crash",
            ["provider"] = "openai",
            ["key"] = "sk-crash-" + Guid.NewGuid().ToString("n"),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 1 },
        });
        string slug = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["slug"]!.GetValue<string>();
        return (gateway, admin, slug);
    }

    private async Task<(PortcullisProcess Gateway, HttpClient Admin)> RestartAsync()
    {
        (PortcullisProcess gateway, Uri baseUrl) = await _sandbox.StartHealthyAsync(Environment);
        return (gateway, Client(baseUrl));
    }

    private static async Task KillAsync(PortcullisProcess gateway)
    {
        gateway.Signal("KILL");
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    private HttpClient Client(Uri baseUrl)
    {
        var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-portkey-api-key", _adminKey);
        return client;
    }
}
