using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Budgets;
using Portcullis.Tests.Infrastructure;
using Portcullis.Tests.Workspaces;

namespace Portcullis.Tests.Security;

/// <summary>
/// No route that reaches an upstream skips governance: the routes are read from the running gateway, so a new one
/// fails the first test until it is added here; each is then shown to pay rate limits and (when it is metered)
/// budgets, and a refusal never reaches the upstream. Authentication and scopes are walked by ScopeMatrixTests, the
/// model allow-lists by ApiKeyAllowListTests and CatalogGatewayTests.
/// </summary>
public sealed class UpstreamRouteGovernanceTests : IAsyncLifetime
{
    private static readonly string[] Operations = ["chat/completions", "completions", "embeddings", "messages", "models"];

    private GatewayFixture _gateway = null!;

    public static TheoryData<string> AllOperations => [.. Operations];

    public static TheoryData<string> MeteredOperations => [.. Operations.Where(o => o != "models")];

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(_gateway);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public void Every_route_that_reaches_an_upstream_is_one_this_class_governs()
    {
        string[] upstreamRoutes = AdminRouteTable.All(_gateway)
            .Where(r => AdminRouteTable.DataPlane.Contains(r.Template) && r.Template != "/v1/health")
            .Select(r => r.Template)
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(Operations.Select(o => "/v1/" + o).Order(StringComparer.Ordinal), upstreamRoutes);
    }

    [Theory]
    [MemberData(nameof(AllOperations))]
    public async Task A_request_rate_limit_refuses_the_second_call_on_every_upstream_route(string operation)
    {
        string slug = await _gateway.CreateVirtualKeyAsync("sk-governed-" + Guid.NewGuid().ToString("n"));
        string key = await CreateApiKeyAsync(new JsonObject
        {
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 1 }),
        });

        using HttpResponseMessage first = await SendAsync(operation, key, slug, "hi");
        int reached = _gateway.Mock.Requests.Count;
        using HttpResponseMessage second = await SendAsync(operation, key, slug, "hi");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(reached, _gateway.Mock.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(MeteredOperations))]
    public async Task A_budget_smaller_than_the_request_refuses_it_on_every_metered_route(string operation)
    {
        string slug = await _gateway.CreateVirtualKeyAsync("sk-governed-" + Guid.NewGuid().ToString("n"));
        string key = await CreateApiKeyAsync(new JsonObject
        {
            ["usage_limits"] = new JsonObject { ["type"] = "tokens", ["credit_limit"] = 100 },
        });
        int before = _gateway.Mock.Requests.Count;

        // About 300 input tokens: more than the whole budget, whatever the output.
        using HttpResponseMessage refused = await SendAsync(operation, key, slug, string.Join(' ', Enumerable.Repeat("word", 300)));

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("api_key_exhaust_error", (await BudgetKit.ErrorOf(refused))["type"]!.GetValue<string>());
        Assert.Equal(before, _gateway.Mock.Requests.Count);
    }

    [Fact]
    public async Task A_model_listing_counts_no_tokens_even_under_a_token_rate_limit()
    {
        string slug = await _gateway.CreateVirtualKeyAsync("sk-governed-" + Guid.NewGuid().ToString("n"));
        string key = await CreateApiKeyAsync(new JsonObject
        {
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "tokens", ["unit"] = "rpm", ["value"] = 100_000 }),
        });

        using HttpResponseMessage listed = await SendAsync("models", key, slug, "");
        JsonNode record = (await _gateway.WaitForLogsAsync(1))[0]!;

        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal("/v1/models", record["path"]!.GetValue<string>());
        Assert.Null(record["total_tokens"]);
        Assert.False(record["tokens_estimated"]!.GetValue<bool>());
        Assert.Equal("100000", listed.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
    }

    private async Task<string> CreateApiKeyAsync(JsonObject limits)
    {
        limits["name"] = "governed";
        limits["scopes"] = new JsonArray("completions.write");
        using HttpResponseMessage response = await _gateway.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", limits);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["key"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> SendAsync(string operation, string key, string slug, string text)
    {
        using HttpClient client = _gateway.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        string messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }).ToJsonString();
        string input = JsonValue.Create(text).ToJsonString();
        HttpResponseMessage response = operation switch
        {
            "models" => await client.GetAsync("/v1/models"),
            "embeddings" => await client.PostAsync("/v1/embeddings",
                GatewayFixture.Json($$"""{"model":"mock-model","input":{{input}}}""")),
            "completions" => await client.PostAsync("/v1/completions",
                GatewayFixture.Json($$"""{"model":"mock-model","prompt":{{input}},"max_tokens":5}""")),
            "messages" => await client.PostAsync("/v1/messages",
                GatewayFixture.Json($$"""{"model":"mock-model","max_tokens":5,"messages":{{messages}}}""")),
            _ => await client.PostAsync("/v1/chat/completions",
                GatewayFixture.Json($$"""{"model":"mock-model","max_tokens":5,"messages":{{messages}}}""")),
        };
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
