using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Hosting;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Ways around a hard budget that a tester found, each closed: the price an Azure alias picks, output counts an
/// upstream reads differently, a budget removed and set again under requests in flight, a second process on the same
/// data directory, and output invented for embeddings.
/// </summary>
public sealed class BudgetLoopholeTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(_gateway);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task An_azure_request_is_priced_by_the_deployment_that_answers_not_by_the_alias_the_client_typed()
    {
        (await _gateway.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = 0.02m, ["output"] = 0 })).EnsureSuccessStatusCode();
        using HttpResponseMessage created = await _gateway.Admin.PostAsJsonAsync("/v1/virtual-keys", new JsonObject
        {
            ["name"] = "azure budget",
            ["provider"] = "azure-openai",
            ["key"] = "azure-secret-" + Guid.NewGuid().ToString("n"),
            ["custom_host"] = $"http://127.0.0.1:{_gateway.Mock.Port}",
            ["deploymentConfig"] = new JsonArray(new JsonObject
            {
                ["alias"] = "main", ["deploymentName"] = "mock-prod", ["apiVersion"] = "2024-10-21", ["is_default"] = true,
                ["aiModelName"] = "mock-model",
            }),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 0.01m },
        });
        string slug = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["slug"]!.GetValue<string>();
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);

        // An unknown alias goes to the default deployment, mock-model: its output price applies.
        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug,
            """{"model":"text-embedding-3-small","max_tokens":5000,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task An_azure_alias_in_the_query_does_not_choose_the_price_when_the_default_deployment_answers()
    {
        (await _gateway.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new JsonObject { ["model"] = "pricey-model", ["input"] = 100, ["output"] = 200 })).EnsureSuccessStatusCode();
        using HttpResponseMessage created = await _gateway.Admin.PostAsJsonAsync("/v1/virtual-keys", new JsonObject
        {
            ["name"] = "azure two",
            ["provider"] = "azure-openai",
            ["key"] = "azure-secret-" + Guid.NewGuid().ToString("n"),
            ["custom_host"] = $"http://127.0.0.1:{_gateway.Mock.Port}",
            ["deploymentConfig"] = new JsonArray(
                new JsonObject
                {
                    ["alias"] = "big", ["deploymentName"] = "dep-pricey", ["apiVersion"] = "2024-10-21",
                    ["is_default"] = true, ["aiModelName"] = "pricey-model",
                },
                new JsonObject
                {
                    ["alias"] = "cheap", ["deploymentName"] = "dep-cheap", ["apiVersion"] = "2024-10-21",
                    ["aiModelName"] = "mock-model",
                }),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 0.01m },
        });
        string slug = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["slug"]!.GetValue<string>();
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions?model=cheap")
        {
            Content = GatewayFixture.Json("""{"max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        // The body names no alias, so the default (pricey) deployment would answer: 100 output tokens cost $0.02.
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task Usage_an_upstream_reports_as_negative_or_short_is_not_trusted()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["type"] = "tokens", ["credit_limit"] = 10_000 },
            new JsonArray(new JsonObject { ["type"] = "tokens", ["unit"] = "rpm", ["value"] = 100_000 }));
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        string negative = BudgetKit.ChatAnswer(10, 100).Replace("\"total_tokens\":110", "\"total_tokens\":-1");
        string shortTotal = BudgetKit.ChatAnswer(10, 100).Replace("\"total_tokens\":110", "\"total_tokens\":1");
        _gateway.Mock.Enqueue(MockScript.Json(200, negative));
        _gateway.Mock.Enqueue(MockScript.Json(200, shortTotal));

        using HttpResponseMessage first = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(100)));
        using HttpResponseMessage second = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(100)));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await _gateway.WaitForLogsAsync(2);
        Assert.Equal(220, (await BudgetKit.BudgetAsync(_gateway, slug))["current_usage"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_batch_of_completion_prompts_reserves_output_for_every_prompt()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.01m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        string prompts = string.Join(",", Enumerable.Repeat("\"a\"", 50));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = GatewayFixture.Json($$"""{"model":"mock-model","prompt":[{{prompts}}],"max_tokens":100}"""),
        };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        // 50 prompts x 100 tokens x $20 per 1M = $0.10: more than the budget.
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Theory]
    [InlineData("""{"model":"mock-model","n":"40","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "n")]
    [InlineData("""{"model":"mock-model","max_tokens":10.0,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens")]
    public async Task An_output_count_that_is_not_an_integer_is_refused_under_a_budget(string body, string field)
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 1 });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);

        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(field + " ", (await BudgetKit.ErrorOf(response))["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task The_larger_of_max_completion_tokens_and_max_tokens_is_reserved()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.01m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);

        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug,
            """{"model":"mock-model","max_completion_tokens":0,"max_tokens":2000,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    [Fact]
    public async Task Requests_admitted_under_a_removed_budget_do_not_touch_the_budget_set_after_it()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, new JsonObject { ["credit_limit"] = 0.05m });
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500), delay: TimeSpan.FromSeconds(1))
            .WithUsage(1000, 500));
        Task<HttpResponseMessage> old = client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        await _gateway.Mock.WaitForRequestAsync(1, TimeSpan.FromSeconds(10));

        await Put(slug, """{"usage_limits":null}""");
        await Put(slug, """{"usage_limits":{"credit_limit":0.05}}""");
        using HttpResponseMessage finished = await old;
        await _gateway.WaitForLogsAsync(1);

        JsonNode budget = await BudgetKit.BudgetAsync(_gateway, slug);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        Assert.Equal(0m, BudgetKit.Dollars(budget["current_usage"]));

        // The new budget's hold is whole: exactly four $0.01 worst cases fit, not five.
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(8, 500)).WithUsage(8, 500));
            using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));

        async Task Put(string key, string json)
        {
            using HttpResponseMessage response = await _gateway.Admin.PutAsync($"/v1/virtual-keys/{key}", GatewayFixture.Json(json));
            response.EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_second_gateway_on_the_same_data_directory_refuses_to_start()
    {
        var options = new GatewayOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = _gateway.DataDirectory,
            AdminKey = GatewayFixture.AdminKeyValue,
        };

        GatewayConfigurationException refused =
            await Assert.ThrowsAsync<GatewayConfigurationException>(() => GatewayHost.BuildAsync(options));

        Assert.Contains("Another Portcullis process is using the data directory", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embeddings_are_not_charged_output_tokens_for_their_vectors()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
        {
            Content = GatewayFixture.Json("""{"model":"mock-model","input":"a castle gate"}"""),
        };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode log = (await _gateway.WaitForLogsAsync(1))[0]!;
        Assert.Equal(0, log["completion_tokens"]!.GetValue<int>());
        Assert.False(log["tokens_estimated"]!.GetValue<bool>());
    }
}
