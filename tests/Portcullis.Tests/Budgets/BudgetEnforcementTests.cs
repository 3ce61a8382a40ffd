using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Budgets on virtual keys and API keys, from the cases of gateway-faults.md: every level that applies is checked on
/// every request (B03), streamed and whole answers are priced from their tokens (B06), unpriced models are refused,
/// soft budgets let the crossing request through, and limit changes start from a documented state.
/// </summary>
public sealed class BudgetEnforcementTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(_gateway);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task An_api_key_budget_refuses_even_when_the_virtual_key_budget_has_room()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 10 });
        using HttpResponseMessage created = await _gateway.Admin.PostAsJsonAsync("/v1/api-keys/workspace/user", new JsonObject
        {
            ["name"] = "user u1",
            ["scopes"] = new JsonArray("completions.write"),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 0.02m },
        });
        JsonNode user = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        using HttpClient client = _gateway.NewClient(user["key"]!.GetValue<string>());
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));

        using HttpResponseMessage first = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(maxTokens: 500)));
        using HttpResponseMessage second = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(maxTokens: 500)));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        JsonNode error = await BudgetKit.ErrorOf(second);
        Assert.Equal("api_key_exhaust_error", error["type"]!.GetValue<string>());
        Assert.Contains(user["id"]!.GetValue<string>(), error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(_gateway.Mock.Requests);

        // The one call counted once at each level (settled behind its answer: waited for through its log record).
        await _gateway.WaitForLogsAsync(2);
        JsonNode keyBudget = await BudgetKit.BudgetAsync(_gateway, slug);
        JsonNode userBudget = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{user["id"]}"))!["usage_limits"]!;
        Assert.Equal(0.02m, BudgetKit.Dollars(keyBudget["current_usage"]));
        Assert.Equal(0.02m, BudgetKit.Dollars(userBudget["current_usage"]));
        Assert.Equal("exhausted", userBudget["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Streamed_and_whole_answers_are_priced_from_their_tokens_whatever_cost_the_upstream_claims()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.05m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        string zeroCost = ",\"cost\":0";
        _gateway.Mock.Enqueue(MockScript.Sse([BudgetKit.Chunk("a"), BudgetKit.Chunk("b"), BudgetKit.Chunk("c"),
            BudgetKit.Chunk("", "stop"), BudgetKit.UsageChunk(1000, 500, zeroCost)]).WithUsage(1000, 500));
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500, zeroCost)).WithUsage(1000, 500));
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500, zeroCost)).WithUsage(1000, 500));
        string trace = Guid.NewGuid().ToString();

        using HttpResponseMessage a = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500, stream: true), trace));
        string streamed = await a.Content.ReadAsStringAsync();
        using HttpResponseMessage b = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        await _gateway.WaitForLogsAsync(2);
        JsonNode afterTwo = await BudgetKit.BudgetAsync(_gateway, slug);
        using HttpResponseMessage c = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(100)));
        using HttpResponseMessage d = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(100)));

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Contains("[DONE]", streamed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(0.04m, BudgetKit.Dollars(afterTwo["current_usage"]));
        Assert.Equal(HttpStatusCode.OK, c.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, d.StatusCode);
        JsonArray logs = await _gateway.WaitForLogsAsync(4);
        JsonNode streamLog = logs.First(l => l!["trace_id"]!.GetValue<string>() == trace)!;
        Assert.True(streamLog["stream"]!.GetValue<bool>());
        Assert.Equal(0.02m, streamLog["cost"]!.GetValue<decimal>());
        Assert.False(streamLog["tokens_estimated"]!.GetValue<bool>());
        Assert.Equal(0.06m, BudgetKit.Dollars((await BudgetKit.BudgetAsync(_gateway, slug))["current_usage"]));
    }

    [Fact]
    public async Task A_model_without_a_price_is_refused_under_a_cost_budget_and_nothing_is_spent()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 5 });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);

        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug,
            """{"model":"unpriced-model","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        JsonNode error = await BudgetKit.ErrorOf(response);
        Assert.Equal("pricing_missing_error", error["type"]!.GetValue<string>());
        Assert.Contains("PUT /v1/admin/pricing", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("unpriced-model", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_gateway.Mock.Requests);
        Assert.Equal(0m, BudgetKit.Dollars((await BudgetKit.BudgetAsync(_gateway, slug))["current_usage"]));

        // Without a cost budget the same model goes through, with its cost unknown rather than zero.
        string unlimited = await BudgetKit.CreateKeyAsync(_gateway, null);
        using HttpResponseMessage free = await client.SendAsync(BudgetKit.Chat(unlimited,
            """{"model":"unpriced-model","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, free.StatusCode);
        JsonArray logs = await _gateway.WaitForLogsAsync(2);
        Assert.Null(logs.First(l => l!["virtual_key"]!.GetValue<string>() == unlimited)!["cost"]);
    }

    [Fact]
    public async Task A_soft_budget_lets_the_crossing_request_through_and_refuses_the_next()
    {
        string slug = await BudgetKit.CreateKeyAsync(
            _gateway, new JsonObject { ["credit_limit"] = 0.03m, ["enforcement"] = "soft" });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));

        // No max_tokens: the worst case ($0.08 at 4096 output tokens) is more than the budget, which a soft budget allows.
        using HttpResponseMessage first = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        using HttpResponseMessage second = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        using HttpResponseMessage third = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, third.StatusCode);
        Assert.Equal(2, _gateway.Mock.Requests.Count);
    }

    [Fact]
    public async Task A_hard_budget_refuses_a_request_whose_worst_case_is_larger_than_the_whole_budget()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.03m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);

        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Contains("max_tokens", (await BudgetKit.ErrorOf(response))["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task A_tokens_budget_counts_prompt_and_completion_tokens()
    {
        string slug = await BudgetKit.CreateKeyAsync(
            _gateway, new JsonObject { ["type"] = "tokens", ["credit_limit"] = 2000 });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));

        using HttpResponseMessage first = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        using HttpResponseMessage second = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Contains("token budget", (await BudgetKit.ErrorOf(second))["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await _gateway.WaitForLogsAsync(2);
        Assert.Equal(1500, (await BudgetKit.BudgetAsync(_gateway, slug))["current_usage"]!.GetValue<long>());
    }

    [Fact]
    public async Task Lowering_the_limit_keeps_the_usage_and_reset_usage_starts_the_period_again()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 1 });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        using HttpResponseMessage spend = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        await _gateway.WaitForLogsAsync(1);

        using HttpResponseMessage lowered = await _gateway.Admin.PutAsJsonAsync(
            $"/v1/virtual-keys/{slug}", new JsonObject { ["usage_limits"] = new JsonObject { ["credit_limit"] = 0.02m } });
        JsonNode afterLowering = JsonNode.Parse(await lowered.Content.ReadAsStringAsync())!;
        using HttpResponseMessage refused = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(10)));
        using HttpResponseMessage reset = await _gateway.Admin.PutAsJsonAsync(
            $"/v1/virtual-keys/{slug}", new JsonObject { ["reset_usage"] = true });
        JsonNode afterReset = JsonNode.Parse(await reset.Content.ReadAsStringAsync())!;
        using HttpResponseMessage admitted = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(10)));

        Assert.Equal("exhausted", afterLowering["status"]!.GetValue<string>());
        Assert.Equal(0.02m, BudgetKit.Dollars(afterLowering["usage_limits"]!["current_usage"]));
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("active", afterReset["status"]!.GetValue<string>());
        Assert.Equal(0m, BudgetKit.Dollars(afterReset["usage_limits"]!["current_usage"]));
        Assert.Equal(0.02m, BudgetKit.Dollars(afterReset["usage_limits"]!["total_usage"]));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Fact]
    public async Task Status_and_usage_limits_read_from_an_exhausted_key_can_be_sent_back_unchanged()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.02m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        using HttpResponseMessage spend = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        await _gateway.WaitForLogsAsync(1);
        JsonNode read = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;

        using HttpResponseMessage written = await _gateway.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new JsonObject
        {
            ["status"] = read["status"]!.DeepClone(),
            ["usage_limits"] = read["usage_limits"]!.DeepClone(),
        });

        Assert.Equal("exhausted", read["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        JsonNode after = JsonNode.Parse(await written.Content.ReadAsStringAsync())!;
        Assert.Equal("exhausted", after["status"]!.GetValue<string>());
        Assert.Equal(0.02m, BudgetKit.Dollars(after["usage_limits"]!["current_usage"]));
    }

    [Theory]
    [InlineData("""{"usage_limits":{"credit_limit":-1}}""", "credit_limit")]
    [InlineData("""{"usage_limits":{"credit_limit":5,"periodic_reset":"daily"}}""", "periodic_reset")]
    [InlineData("""{"rate_limits":[{"type":"requests","unit":"rpm","value":0}]}""", "value")]
    public async Task Invalid_limits_are_refused_with_400_and_nothing_is_stored(string extra, string field)
    {
        JsonObject body = JsonNode.Parse(extra)!.AsObject();
        body["name"] = "bad limits";
        body["provider"] = "openai";
        body["key"] = "sk-should-not-be-stored-123456";

        using HttpResponseMessage response = await _gateway.Admin.PostAsJsonAsync("/v1/virtual-keys", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        JsonNode list = (await _gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/virtual-keys"))!;
        Assert.Equal(0, list["total"]!.GetValue<int>());
    }
}
