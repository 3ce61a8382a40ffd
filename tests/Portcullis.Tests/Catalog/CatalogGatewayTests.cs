using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Budgets;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Catalog;

/// <summary>The data plane through integration-backed providers: routing, the model allow-list, prices and limits.</summary>
public sealed class CatalogGatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static string Chat(string model, int? maxTokens = null) => new JsonObject
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
        ["max_tokens"] = maxTokens,
    }.ToJsonString();

    private async Task<HttpClient> ClientAsync()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        return fixture.NewClient(key);
    }

    private async Task<(string Integration, string Provider, string Key)> ProviderAsync(JsonObject? grantLimits = null)
    {
        string key = "sk-catalog-" + Guid.NewGuid().ToString("n");
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, key);
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration, grantLimits);
        return (integration, await CatalogKit.CreateProviderAsync(fixture, integration), key);
    }

    [Fact]
    public async Task At_slug_model_provider_header_and_virtual_key_header_all_reach_an_integration_backed_provider()
    {
        (_, string provider, string key) = await ProviderAsync();
        using HttpClient client = await ClientAsync();
        var requests = new List<HttpRequestMessage>
        {
            new(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")) },
            new(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Chat("gpt-4o-mini")) },
            new(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Chat("gpt-4o-mini")) },
        };
        requests[1].Headers.Add("x-portkey-provider", "@" + provider);
        requests[2].Headers.Add("x-portkey-virtual-key", provider);

        foreach (HttpRequestMessage request in requests)
        {
            fixture.Mock.ClearRequests();
            using HttpResponseMessage response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            RecordedRequest upstream = Assert.Single(fixture.Mock.Requests);
            Assert.Equal("Bearer " + key, upstream.Headers["Authorization"]);
            Assert.Equal("gpt-4o-mini", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Classic_virtual_keys_keep_working_by_header_and_by_at_slug_model()
    {
        string classic = await fixture.CreateVirtualKeyAsync("sk-classic-still-works-0001");
        using HttpClient client = await ClientAsync();
        using var byHeader = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Chat("gpt-4o-mini")) };
        byHeader.Headers.Add("x-portkey-virtual-key", classic);

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(byHeader)).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{classic}/gpt-4o-mini")))).StatusCode);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"@P/gpt-4o","messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("/v1/completions", """{"model":"@P/gpt-4o","prompt":"hi"}""")]
    [InlineData("/v1/embeddings", """{"model":"@P/gpt-4o","input":"hi"}""")]
    [InlineData("/v1/messages", """{"model":"@P/gpt-4o","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""")]
    public async Task A_model_outside_the_allow_list_is_412_on_every_operation_and_never_reaches_the_upstream(
        string path, string body)
    {
        (string integration, string provider, _) = await ProviderAsync();
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: false, CatalogKit.Model("gpt-4o-mini"));
        using HttpClient client = await ClientAsync();
        fixture.Mock.ClearRequests();

        using HttpResponseMessage response = await client.PostAsync(path, GatewayFixture.Json(body.Replace("@P/", $"@{provider}/")));

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        Assert.Equal("model_not_allowed_error", error["type"]!.GetValue<string>());
        Assert.Null(error["code"]);
        Assert.Equal("Model gpt-4o is not allowed for this integration", error["message"]!.GetValue<string>());
        Assert.Empty(fixture.Mock.Requests);
    }

    [Fact]
    public async Task Allow_list_changes_take_effect_at_once_and_disabled_models_stay_refused_under_allow_all()
    {
        (string integration, string provider, _) = await ProviderAsync();
        using HttpClient client = await ClientAsync();
        Task<HttpResponseMessage> Send(string model) =>
            client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/{model}")));

        Assert.Equal(HttpStatusCode.OK, (await Send("gpt-4o")).StatusCode);
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: false, CatalogKit.Model("gpt-4o-mini"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Send("gpt-4o")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send("gpt-4o-mini")).StatusCode);

        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, CatalogKit.Model("gpt-4o-mini", enabled: false));
        Assert.Equal(HttpStatusCode.OK, (await Send("gpt-4o")).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Send("gpt-4o-mini")).StatusCode);
    }

    [Fact]
    public async Task Models_lists_only_the_enabled_models_without_asking_the_upstream()
    {
        (string integration, string provider, _) = await ProviderAsync();
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: false,
            CatalogKit.Model("gpt-4o-mini"), CatalogKit.Model("o3-mini"), CatalogKit.Model("gpt-4o", enabled: false));
        using HttpClient client = await ClientAsync();
        client.DefaultRequestHeaders.Add("x-portkey-provider", "@" + provider);
        fixture.Mock.ClearRequests();

        JsonNode list = (await client.GetFromJsonAsync<JsonNode>("/v1/models"))!;

        Assert.Equal("list", list["object"]!.GetValue<string>());
        Assert.Equal(["gpt-4o-mini", "o3-mini"], list["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Empty(fixture.Mock.Requests);

        // Unrestricted, the upstream's own list is relayed as before.
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true);
        JsonNode upstream = (await client.GetFromJsonAsync<JsonNode>("/v1/models"))!;
        Assert.Contains(upstream["data"]!.AsArray(), m => m!["id"]!.GetValue<string>() == "text-embedding-3-small");
    }

    [Fact]
    public async Task Models_relayed_from_the_upstream_leave_out_the_models_disabled_under_allow_all()
    {
        (string integration, string provider, _) = await ProviderAsync();
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true,
            CatalogKit.Model("text-embedding-3-small", enabled: false));
        using HttpClient client = await ClientAsync();
        client.DefaultRequestHeaders.Add("x-portkey-provider", "@" + provider);

        JsonNode list = (await client.GetFromJsonAsync<JsonNode>("/v1/models"))!;
        string[] ids = list["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray();

        Assert.NotEmpty(ids);
        Assert.DoesNotContain("text-embedding-3-small", ids);
        Assert.Equal("list", list["object"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("big", false)]
    [InlineData("gpt-4o", false)]
    [InlineData("small", true)]
    public async Task An_azure_integration_judges_the_deployment_that_answers_whatever_name_the_client_sends(
        string disabled, bool defaultAllowed)
    {
        var deployments = new JsonArray(
            new JsonObject
            {
                ["alias"] = "big", ["azure_deployment_name"] = "gpt4o-prod", ["azure_api_version"] = "2024-10-21",
                ["azure_model_slug"] = "gpt-4o", ["is_default"] = true,
            },
            new JsonObject
            {
                ["alias"] = "small", ["azure_deployment_name"] = "mini-prod", ["azure_api_version"] = "2024-10-21",
                ["azure_model_slug"] = "gpt-4o-mini",
            });
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "azure-integration-key-0001", new JsonObject
        {
            ["ai_provider_id"] = "azure-openai",
            ["configurations"] = new JsonObject
            {
                ["azure_resource_name"] = "contoso", ["azure_deployment_config"] = deployments,
                ["custom_host"] = $"http://127.0.0.1:{fixture.Mock.Port}",
            },
        });
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, CatalogKit.Model(disabled, enabled: false));
        using HttpClient client = await ClientAsync();
        client.DefaultRequestHeaders.Add("x-portkey-provider", "@" + provider);
        fixture.Mock.ClearRequests();

        // Each of these lands on the default deployment (big, model gpt-4o) when it is allowed to go anywhere.
        foreach (string model in (string[])["", "nonexistent", "BIG", "gpt4o-prod"])
        {
            using HttpResponseMessage answer = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat(model)));
            Assert.Equal(defaultAllowed ? HttpStatusCode.OK : HttpStatusCode.PreconditionFailed, answer.StatusCode);
        }

        Assert.Equal(defaultAllowed ? 4 : 0, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task The_integrations_per_model_price_is_the_cost_charged()
    {
        (string integration, string provider, _) = await ProviderAsync();
        var priced = CatalogKit.Model("catalog-priced-model");
        priced["pricing_config"] = JsonNode.Parse(
            """{"type":"static","pay_as_you_go":{"request_token":{"price":0.001},"response_token":{"price":0.002}}}""");
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, priced);
        using HttpClient client = await ClientAsync();
        fixture.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        string trace = "catalog-price-" + Guid.NewGuid().ToString("n");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json(Chat($"@{provider}/catalog-priced-model")),
        };
        request.Headers.Add("x-portkey-trace-id", trace);

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);

        // 1000 input tokens at 0.001 cents and 500 output tokens at 0.002 cents: 2 cents.
        JsonNode log = await LogOfAsync(trace);
        Assert.Equal(0.02m, log["cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task The_integrations_budget_refuses_while_the_providers_own_has_room_and_both_are_charged()
    {
        var budget = new JsonObject
        {
            ["usage_limits"] = new JsonArray(new JsonObject { ["credit_limit"] = 200, ["type"] = "tokens" }),
        };
        (string integration, string provider, _) = await ProviderAsync(budget);
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/providers/{provider}",
            JsonNode.Parse("""{"usage_limits":{"credit_limit":100000,"type":"tokens"}}"""));
        using HttpClient client = await ClientAsync();
        string body = Chat($"@{provider}/gpt-4o-mini", maxTokens: 150);
        int prompt = BudgetKit.PromptTokensOf(Chat("gpt-4o-mini", maxTokens: 150));
        fixture.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(prompt, 150)).WithUsage(prompt, 150));

        using HttpResponseMessage first = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));
        using HttpResponseMessage second = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        JsonNode error = await BudgetKit.ErrorOf(second);
        Assert.Equal("integration_exhaust_error", error["type"]!.GetValue<string>());
        Assert.Contains($"PUT /v1/integrations/{integration}/workspaces", error["message"]!.GetValue<string>());
        long expected = prompt + 150;
        await WaitUntilAsync(async () =>
        {
            JsonNode grants = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/integrations/{integration}/workspaces");
            JsonNode own = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/providers/{provider}");
            return grants["workspaces"]![0]!["usage_limits"]![0]!["current_usage"]!.GetValue<long>() == expected &&
                own["usage_limits"]!["current_usage"]!.GetValue<long>() == expected;
        });
    }

    [Fact]
    public async Task Under_global_access_each_workspaces_usage_is_shown_and_reset_usage_resets_it()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-global-" + Guid.NewGuid().ToString("n"));
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            JsonNode.Parse("""{"global_workspace_access":{"enabled":true,"usage_limits":{"credit_limit":200,"type":"tokens"}}}"""));
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);
        using HttpClient client = await ClientAsync();
        string body = Chat($"@{provider}/gpt-4o-mini", maxTokens: 150);
        int prompt = BudgetKit.PromptTokensOf(Chat("gpt-4o-mini", maxTokens: 150));
        fixture.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(prompt, 150)).WithUsage(prompt, 150));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body))).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed,
            (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body))).StatusCode);

        long UsageOfDefault(JsonNode grants) => grants["global_workspace_access"]!["workspaces"]!.AsArray()
            .First(w => w!["id"]!.GetValue<string>() == "default")!["usage_limits"]![0]!["current_usage"]!.GetValue<long>();
        await WaitUntilAsync(async () => UsageOfDefault(await CatalogKit.SendAsync(
            fixture.Admin, HttpMethod.Get, $"/v1/integrations/{integration}/workspaces")) == prompt + 150);

        JsonNode reset = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            JsonNode.Parse("""{"global_workspace_access":{"enabled":true,"reset_usage":true}}"""));

        Assert.Equal(0, UsageOfDefault(reset));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body))).StatusCode);
    }

    [Fact]
    public async Task The_integrations_rate_limit_applies_to_every_provider_made_from_it()
    {
        var limits = new JsonObject
        {
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 1 }),
        };
        (string integration, string first, _) = await ProviderAsync(limits);
        string second = await CatalogKit.CreateProviderAsync(fixture, integration);
        using HttpClient client = await ClientAsync();

        using HttpResponseMessage one = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{first}/gpt-4o-mini")));
        using HttpResponseMessage two = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{second}/gpt-4o-mini")));

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, two.StatusCode);
        Assert.Equal("integration_rate_limit_error", (await BudgetKit.ErrorOf(two))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_models_own_custom_host_receives_that_models_requests()
    {
        await using MockUpstreamServer other = await MockUpstreamServer.StartAsync();
        (string integration, string provider, _) = await ProviderAsync();
        var hosted = CatalogKit.Model("gpt-4o");
        hosted["configurations"] = new JsonObject { ["custom_host"] = $"http://127.0.0.1:{other.Port}/v1" };
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, hosted);
        using HttpClient client = await ClientAsync();
        fixture.Mock.ClearRequests();

        Assert.Equal(HttpStatusCode.OK,
            (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")))).StatusCode);

        Assert.Equal("gpt-4o", JsonNode.Parse(Assert.Single(other.Requests).BodyText)!["model"]!.GetValue<string>());
        Assert.Equal("gpt-4o-mini", JsonNode.Parse(Assert.Single(fixture.Mock.Requests).BodyText)!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotating_the_integrations_key_moves_every_provider_to_it_at_once()
    {
        (string integration, string provider, _) = await ProviderAsync();
        using HttpClient client = await ClientAsync();
        await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")));

        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}",
            new JsonObject { ["key"] = "sk-rotated-integration-key-0001" });
        fixture.Mock.ClearRequests();
        await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")));

        Assert.Equal("Bearer sk-rotated-integration-key-0001", Assert.Single(fixture.Mock.Requests).Headers["Authorization"]);

        // Its providers show the new key's mask, as the integration does.
        JsonNode shown = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/virtual-keys/{provider}");
        Assert.EndsWith("0001", shown["masked_api_key"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<JsonNode> LogOfAsync(string trace)
    {
        JsonNode? found = null;
        await WaitUntilAsync(async () =>
        {
            JsonArray logs = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/logs?page_size=500"))!["data"]!.AsArray();
            found = logs.FirstOrDefault(l => l!["trace_id"]!.GetValue<string>() == trace && l["outcome"]!.GetValue<string>() != "pending");
            return found is not null;
        });
        return found!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 10 seconds.");
            await Task.Delay(50);
        }
    }
}
