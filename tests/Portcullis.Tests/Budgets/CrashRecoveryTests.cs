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
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_request_in_flight_when_the_process_is_killed_is_settled_at_its_worst_case_on_the_next_start()
    {
        await using MockUpstreamServer mock = await MockUpstreamServer.StartAsync();
        await using var sandbox = new ServeSandbox();
        string adminKey = "admin-" + Guid.NewGuid().ToString("n");
        var environment = new Dictionary<string, string?>
        {
            ["PORTCULLIS_ADMIN_KEY"] = adminKey,
            ["Portcullis__ProviderBaseUrls__openai"] = mock.BaseUrl.ToString(),
        };
        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync(environment);
        using HttpClient admin = Client(baseUrl, adminKey);
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

        // 1. A request reaches the upstream, which never answers; then the gateway dies without a chance to write.
        mock.Enqueue(MockScript.Hang());
        string body = BudgetKit.ChatBody(500);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("x-portkey-virtual-key", slug);
        Task<HttpResponseMessage> inFlight = admin.SendAsync(request);
        await mock.WaitForRequestAsync(1, TimeSpan.FromSeconds(10));
        gateway.Signal("KILL");
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<Exception>(() => inFlight);

        // 2. The next start settles it: the log row says interrupted, and the budget holds the worst case.
        (PortcullisProcess again, Uri againUrl) = await sandbox.StartHealthyAsync(environment);
        using HttpClient after = Client(againUrl, adminKey);
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
        await using MockUpstreamServer mock = await MockUpstreamServer.StartAsync();
        await using var sandbox = new ServeSandbox();
        string adminKey = "admin-" + Guid.NewGuid().ToString("n");
        var environment = new Dictionary<string, string?>
        {
            ["PORTCULLIS_ADMIN_KEY"] = adminKey,
            ["Portcullis__ProviderBaseUrls__openai"] = mock.BaseUrl.ToString(),
        };
        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync(environment);
        using HttpClient admin = Client(baseUrl, adminKey);
        (await admin.PutAsJsonAsync("/v1/admin/pricing",
            new JsonObject { ["model"] = "mock-model", ["input"] = 10, ["output"] = 20 })).EnsureSuccessStatusCode();
        using HttpResponseMessage created = await admin.PostAsJsonAsync("/v1/virtual-keys", new JsonObject
        {
            ["name"] = "crash stream",
            ["provider"] = "openai",
            ["key"] = "sk-crash-" + Guid.NewGuid().ToString("n"),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 1 },
        });
        string slug = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["slug"]!.GetValue<string>();
        mock.Enqueue(MockScript.Sse(Enumerable.Range(0, 600).Select(i => BudgetKit.Chunk(" word" + i)),
            delayBetweenFrames: TimeSpan.FromMilliseconds(100)));

        // 1. About two and a half seconds of a slow stream arrive (several progress notes); then the gateway dies.
        string body = BudgetKit.ChatBody(4000, stream: true);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("x-portkey-virtual-key", slug);
        using HttpResponseMessage response = await admin.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Stream stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[8192];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            _ = await stream.ReadAsync(buffer);
        }

        gateway.Signal("KILL");
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(10));

        // 2. Charged for the prompt and the words streamed by the last note: more than the prompt, far below the
        //    worst case of 4000 output tokens.
        (PortcullisProcess again, Uri againUrl) = await sandbox.StartHealthyAsync(environment);
        using HttpClient after = Client(againUrl, adminKey);
        JsonNode key = (await after.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;
        decimal charged = key["usage_limits"]!["current_usage"]!.GetValue<decimal>();
        int prompt = BudgetKit.PromptTokensOf(body);
        Assert.InRange(charged,
            Money.ToDollars(CostCalculator.WorstCase(BudgetKit.MockPrice, prompt, 10)),
            Money.ToDollars(CostCalculator.WorstCase(BudgetKit.MockPrice, prompt, 200)));
        Assert.Equal(0, await ServeSandbox.StopAsync(again));
    }

    private static HttpClient Client(Uri baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-portkey-api-key", key);
        return client;
    }
}
