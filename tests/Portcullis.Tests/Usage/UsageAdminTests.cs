using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Storage;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Usage;

/// <summary>
/// <c>GET /v1/admin/usage</c> and the cost fields and filters of <c>GET /v1/logs</c>, over a real gateway whose clock
/// is a fake one, so the default window is a fixed span. Each test filters the shared log down to its own records.
/// </summary>
public sealed class UsageAdminTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2031, 3, 15, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private GatewayFixture _fixture = null!;

    public async Task InitializeAsync()
    {
        _fixture = new GatewayFixture { Time = _time };
        await _fixture.InitializeAsync();
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private IGatewayStore Store => _fixture.Gateway.App.Services.GetRequiredService<IGatewayStore>();

    [Fact]
    public async Task Usage_answers_one_row_per_group_and_totals_with_cost_in_exact_dollars()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(Now.AddHours(-1), slug, model: "gpt-4o", prompt: 10, completion: 5, costPico: 100_000_000_000,
                cachedPrompt: 8),
            LogRecords.Make(Now.AddHours(-2), slug, model: "gpt-4o", prompt: 20, completion: 1, costPico: 200_000_000_000,
                estimated: true),
            LogRecords.Make(Now.AddHours(-3), slug, model: "o3", prompt: 1, completion: 2, costPico: null));

        JsonNode answer = await GetAsync($"/v1/admin/usage?group_by=model&virtual_key={slug}");

        Assert.Equal("list", answer["object"]!.GetValue<string>());
        Assert.Equal("model", answer["group_by"]!.GetValue<string>());
        JsonArray data = answer["data"]!.AsArray();
        Assert.Equal(["gpt-4o", "o3"], data.Select(r => r!["key"]!.GetValue<string>()));
        JsonNode gpt = data[0]!;
        Assert.Equal(2, gpt["requests"]!.GetValue<long>());
        Assert.Equal(30, gpt["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(8, gpt["cached_prompt_tokens"]!.GetValue<long>());
        Assert.Equal(6, gpt["completion_tokens"]!.GetValue<long>());
        Assert.Equal(36, gpt["total_tokens"]!.GetValue<long>());
        Assert.Equal("0.3", gpt["cost"]!.ToJsonString());
        Assert.Equal(1, gpt["estimated_requests"]!.GetValue<long>());
        Assert.Equal(0, gpt["unpriced_requests"]!.GetValue<long>());
        Assert.Equal(1, data[1]!["unpriced_requests"]!.GetValue<long>());
        JsonNode totals = answer["totals"]!;
        Assert.Equal(3, totals["requests"]!.GetValue<long>());
        Assert.Equal(39, totals["total_tokens"]!.GetValue<long>());
        Assert.Equal(0.3m, totals["cost"]!.GetValue<decimal>());
        Assert.Equal(1, totals["unpriced_requests"]!.GetValue<long>());
        Assert.Equal(0, answer["pending_requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task Usage_without_a_window_covers_the_last_30_days_up_to_now()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(Now.AddDays(-30).AddSeconds(-1), slug, costPico: 1),
            LogRecords.Make(Now.AddDays(-30), slug, costPico: 10),
            LogRecords.Make(Now.AddSeconds(-1), slug, costPico: 100),
            LogRecords.Make(Now.AddSeconds(1), slug, costPico: 1000));

        JsonNode answer = await GetAsync($"/v1/admin/usage?virtual_key={slug}");

        Assert.Equal("virtual_key", answer["group_by"]!.GetValue<string>());
        Assert.Equal(Now.AddDays(-30), answer["from"]!.GetValue<DateTimeOffset>());
        Assert.Equal(Now, answer["to"]!.GetValue<DateTimeOffset>());
        JsonNode row = Assert.Single(answer["data"]!.AsArray())!;
        Assert.Equal(slug, row["key"]!.GetValue<string>());
        Assert.Equal(2, row["requests"]!.GetValue<long>());
        Assert.Equal(0.00000000011m, row["cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Usage_with_only_to_looks_30_days_back_from_it_and_with_only_from_ends_now()
    {
        string slug = LogRecords.Unique("vk");
        DateTimeOffset to = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await InsertAsync(
            LogRecords.Make(to.AddDays(-31), slug, costPico: 1),
            LogRecords.Make(to.AddDays(-29), slug, costPico: 10),
            LogRecords.Make(Now.AddDays(-1), slug, costPico: 100));

        JsonNode beforeTo = await GetAsync($"/v1/admin/usage?virtual_key={slug}&to=2031-01-01");
        JsonNode sinceFrom = await GetAsync($"/v1/admin/usage?virtual_key={slug}&from=2030-11-01T00:00:00Z");

        Assert.Equal(to.AddDays(-30), beforeTo["from"]!.GetValue<DateTimeOffset>());
        Assert.Equal(10, Pico(beforeTo["totals"]!["cost"]!));
        Assert.Equal(Now, sinceFrom["to"]!.GetValue<DateTimeOffset>());
        Assert.Equal(111, Pico(sinceFrom["totals"]!["cost"]!));
    }

    [Fact]
    public async Task Usage_per_day_and_per_api_key_use_those_keys()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(new DateTimeOffset(2031, 3, 13, 23, 0, 0, TimeSpan.Zero), slug, apiKey: "key-b", costPico: 1),
            LogRecords.Make(new DateTimeOffset(2031, 3, 14, 1, 0, 0, TimeSpan.Zero), slug, apiKey: "key-a", costPico: 2),
            LogRecords.Make(new DateTimeOffset(2031, 3, 14, 2, 0, 0, TimeSpan.Zero), slug, apiKey: "key-a", costPico: 4));

        JsonNode perDay = await GetAsync($"/v1/admin/usage?group_by=day&virtual_key={slug}");
        JsonNode perKey = await GetAsync($"/v1/admin/usage?group_by=api_key&virtual_key={slug}");

        Assert.Equal(["2031-03-13", "2031-03-14"], perDay["data"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Equal(["key-a", "key-b"], perKey["data"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Equal(6, Pico(perKey["data"]![0]!["cost"]!));
    }

    [Fact]
    public async Task Usage_leaves_pending_requests_out_of_the_sums_and_says_how_many_there_are()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(Now.AddMinutes(-5), slug, costPico: 7),
            LogRecords.Make(Now.AddMinutes(-1), slug, costPico: 500, outcome: "pending"));

        JsonNode answer = await GetAsync($"/v1/admin/usage?virtual_key={slug}");

        Assert.Equal(1, answer["totals"]!["requests"]!.GetValue<long>());
        Assert.Equal(7, Pico(answer["totals"]!["cost"]!));
        Assert.Equal(1, answer["pending_requests"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("group_by=week")]
    [InlineData("from=yesterday")]
    [InlineData("to=03/01/2031")]
    [InlineData("from=2031-02-01&to=2031-01-01")]
    [InlineData("from=2031-01-01T00:00:00Z&to=2031-01-01")]
    [InlineData("from=2031-04-01")]
    [InlineData("from=2031-01-01&from=2031-01-02")]
    public async Task Usage_refuses_a_bad_query_with_400(string query)
    {
        using HttpResponseMessage response = await _fixture.Admin.GetAsync($"/v1/admin/usage?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        Assert.Equal("AB01", error["code"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Usage_needs_the_usage_read_scope()
    {
        (_, string logsOnly) = await _fixture.CreateApiKeyAsync("logs.list");
        (_, string usageReader) = await _fixture.CreateApiKeyAsync("usage.read");
        using HttpClient refused = _fixture.NewClient(logsOnly);
        using HttpClient allowed = _fixture.NewClient(usageReader);

        using HttpResponseMessage refusal = await refused.GetAsync("/v1/admin/usage");
        using HttpResponseMessage answer = await allowed.GetAsync("/v1/admin/usage");
        using HttpResponseMessage logs = await allowed.GetAsync("/v1/logs");

        Assert.Equal(HttpStatusCode.Forbidden, refusal.StatusCode);
        Assert.Contains("usage.read", await refusal.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, logs.StatusCode);
    }

    [Fact]
    public async Task Logs_show_cost_cached_prompt_tokens_and_whether_tokens_were_estimated()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(Now.AddMinutes(-2), slug, prompt: 2048, completion: 10, costPico: 1_234_567, cachedPrompt: 1024,
                estimated: true),
            LogRecords.Make(Now.AddMinutes(-3), slug, costPico: null));

        JsonArray data = (await GetAsync($"/v1/logs?virtual_key={slug}"))["data"]!.AsArray();

        Assert.Equal(2, data.Count);
        Assert.Equal("0.000001234567", data[0]!["cost"]!.ToJsonString());
        Assert.Equal(1024, data[0]!["cached_prompt_tokens"]!.GetValue<int>());
        Assert.True(data[0]!["tokens_estimated"]!.GetValue<bool>());
        Assert.Null(data[1]!["cost"]);
        Assert.Null(data[1]!["cached_prompt_tokens"]);
        Assert.False(data[1]!["tokens_estimated"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Logs_filter_by_virtual_key_api_key_model_and_window()
    {
        string slug = LogRecords.Unique("vk");
        string apiKey = LogRecords.Unique("key");
        await InsertAsync(
            LogRecords.Make(new DateTimeOffset(2031, 3, 1, 10, 0, 0, TimeSpan.Zero), slug, apiKey, "gpt-4o"),
            LogRecords.Make(new DateTimeOffset(2031, 3, 2, 10, 0, 0, TimeSpan.Zero), slug, apiKey, "gpt-4o"),
            LogRecords.Make(new DateTimeOffset(2031, 3, 2, 11, 0, 0, TimeSpan.Zero), slug, apiKey, "o3"),
            LogRecords.Make(new DateTimeOffset(2031, 3, 2, 12, 0, 0, TimeSpan.Zero), slug, "other-key", "gpt-4o"));

        JsonNode filtered = await GetAsync(
            $"/v1/logs?virtual_key={slug}&api_key_id={apiKey}&model=gpt-4o&from=2031-03-02&to=2031-03-03");
        JsonNode byKey = await GetAsync($"/v1/logs?api_key_id={apiKey}");

        Assert.Equal(1, filtered["total"]!.GetValue<long>());
        JsonNode record = Assert.Single(filtered["data"]!.AsArray())!;
        Assert.Equal(new DateTimeOffset(2031, 3, 2, 10, 0, 0, TimeSpan.Zero), record["created_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(3, byKey["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Logs_refuse_a_window_that_ends_before_it_starts()
    {
        using HttpResponseMessage response = await _fixture.Admin.GetAsync("/v1/logs?from=2031-03-02&to=2031-03-01");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_request_through_the_gateway_lands_in_the_summary_with_the_upstream_tokens()
    {
        string slug = await _fixture.CreateVirtualKeyAsync("sk-test-" + Guid.NewGuid().ToString("n"));
        long promptBefore = _fixture.Mock.TotalPromptTokens, completionBefore = _fixture.Mock.TotalCompletionTokens;
        using HttpClient client = _fixture.NewClient(GatewayFixture.AdminKeyValue);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}"""),
        };
        request.Headers.Add("x-portkey-virtual-key", slug);
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _time.Advance(TimeSpan.FromSeconds(1));

        JsonNode row = await WaitForUsageAsync(slug);

        Assert.Equal("gpt-4o-mini", row["key"]!.GetValue<string>());
        Assert.Equal(1, row["requests"]!.GetValue<long>());
        Assert.Equal(_fixture.Mock.TotalPromptTokens - promptBefore, row["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(_fixture.Mock.TotalCompletionTokens - completionBefore, row["completion_tokens"]!.GetValue<long>());
        Assert.True(row["prompt_tokens"]!.GetValue<long>() > 0);
    }

    // The record is written behind the request, so the summary is asked until it shows up.
    private async Task<JsonNode> WaitForUsageAsync(string slug)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            JsonArray data = (await GetAsync($"/v1/admin/usage?group_by=model&virtual_key={slug}"))["data"]!.AsArray();
            if (data.Count > 0 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(data)!;
            }

            await Task.Delay(50);
        }
    }

    private Task InsertAsync(params RequestLogRecord[] records) => Store.InsertRequestLogsAsync(records, CancellationToken.None);

    private async Task<JsonNode> GetAsync(string path)
    {
        using HttpResponseMessage response = await _fixture.Admin.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static long Pico(JsonNode dollars) => Portcullis.Pricing.Money.FromDollars(dollars.GetValue<decimal>());
}
