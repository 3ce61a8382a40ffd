using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Providers;

/// <summary>Azure OpenAI keys: deployments by alias, the deployment's API version, the api-key header (case B20).</summary>
public sealed class AzureOpenAiTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Secret = "azure-secret-key-0123456789";

    private static JsonArray Deployments(bool withDefault = true) =>
    [
        new JsonObject { ["alias"] = "gpt4o", ["deploymentName"] = "gpt4o-prod-eu", ["apiVersion"] = "2024-10-21", ["is_default"] = withDefault },
        new JsonObject { ["alias"] = "o3mini", ["deploymentName"] = "o3-mini-prod", ["apiVersion"] = "2025-01-01-preview" },
    ];

    private async Task<string> CreateAsync(JsonObject extra)
    {
        var body = new JsonObject { ["name"] = "contoso", ["provider"] = "azure-openai", ["key"] = Secret };
        foreach ((string k, JsonNode? v) in extra)
        {
            body[k] = v?.DeepClone();
        }

        using HttpResponseMessage response = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
    }

    private string MockRoot => $"http://127.0.0.1:{fixture.Mock.Port}";

    private async Task<HttpResponseMessage> ChatAsync(string slug, string model, bool stream = false, string query = "?api-version=1999-01-01")
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        string body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        return await client.PostAsync("/v1/chat/completions" + query, GatewayFixture.Json(body));
    }

    [Theory]
    [InlineData("o3mini", "/openai/deployments/o3-mini-prod/chat/completions?api-version=2025-01-01-preview")]
    [InlineData("gpt4o", "/openai/deployments/gpt4o-prod-eu/chat/completions?api-version=2024-10-21")]
    [InlineData("unknown-alias", "/openai/deployments/gpt4o-prod-eu/chat/completions?api-version=2024-10-21")]
    [InlineData("", "/openai/deployments/gpt4o-prod-eu/chat/completions?api-version=2024-10-21")]
    public async Task Alias_selects_the_deployment_and_its_api_version_whatever_the_client_sends(string model, string expected)
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments() });
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await ChatAsync(slug, model);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.Equal(expected, upstream.PathAndQuery);
        Assert.Equal(Secret, upstream.Headers["api-key"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Streams_through_an_azure_deployment_arrive_whole()
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments() });

        using HttpResponseMessage response = await ChatAsync(slug, "gpt4o", stream: true);
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", sse);
    }

    [Fact]
    public async Task Unknown_alias_without_a_default_is_400_naming_the_known_aliases()
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments(withDefault: false) });
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await ChatAsync(slug, "nope");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>();
        Assert.Contains("gpt4o", message);
        Assert.Contains("o3mini", message);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task Api_management_front_door_gets_its_own_base_path_and_key_header()
    {
        string slug = await CreateAsync(new JsonObject
        {
            ["custom_host"] = MockRoot + "/aoai",
            ["auth_header_name"] = "Ocp-Apim-Subscription-Key",
            ["deploymentConfig"] = new JsonArray(new JsonObject
            {
                ["alias"] = "apim", ["deploymentName"] = "gpt4o-prod-eu", ["apiVersion"] = "2024-10-21", ["is_default"] = true,
            }),
        });
        fixture.Mock.Enqueue(MockScript.Json(200, """{"id":"x","object":"chat.completion","created":1,"model":"gpt-4o","choices":[]}"""));
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await ChatAsync(slug, "apim");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.Equal("/aoai/openai/deployments/gpt4o-prod-eu/chat/completions?api-version=2024-10-21", upstream.PathAndQuery);
        Assert.Equal(Secret, upstream.Headers["Ocp-Apim-Subscription-Key"]);
        Assert.False(upstream.Headers.ContainsKey("api-key"));
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Missing_deployment_reaches_the_client_as_404_naming_the_alias()
    {
        fixture.Mock.AzureDeployments.Add("gpt4o-prod-eu");
        try
        {
            string slug = await CreateAsync(new JsonObject
            {
                ["custom_host"] = MockRoot,
                ["deploymentConfig"] = new JsonArray(new JsonObject
                {
                    ["alias"] = "ghost", ["deploymentName"] = "deleted-deployment", ["apiVersion"] = "2024-10-21", ["is_default"] = true,
                }),
            });

            using HttpResponseMessage response = await ChatAsync(slug, "ghost");

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Contains("'ghost'", error["message"]!.GetValue<string>());
            Assert.Equal("DeploymentNotFound", error["code"]!.GetValue<string>());
        }
        finally
        {
            fixture.Mock.AzureDeployments.Clear();
        }
    }

    [Fact]
    public async Task Request_log_records_the_alias_the_deployment_and_the_model_azure_reports()
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments() });
        fixture.Mock.Enqueue(MockScript.Json(200, """
            {"id":"chatcmpl-az","object":"chat.completion","created":1,"model":"o3-mini-2025-01-31","choices":[{"index":0,
            "message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}
            """));

        (await ChatAsync(slug, "o3mini")).EnsureSuccessStatusCode();

        JsonNode? log = null;
        for (int i = 0; i < 100 && log is null; i++)
        {
            log = (await fixture.WaitForLogsAsync(1)).FirstOrDefault(l => l!["virtual_key"]?.GetValue<string>() == slug);
            await Task.Delay(50);
        }

        Assert.Equal("o3mini", log!["model"]!.GetValue<string>());
        Assert.Equal("o3-mini-prod", log["deployment"]!.GetValue<string>());
        Assert.Equal("o3-mini-2025-01-31", log["upstream_model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"contoso"}""")]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"contoso","deploymentConfig":[{"alias":"a","deploymentName":"d"}]}""")]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"contoso","deploymentConfig":[{"alias":"a","apiVersion":"2024-10-21"}]}""")]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"contoso","deploymentConfig":[{"alias":"a","deploymentName":"d","apiVersion":"v","is_default":true},{"alias":"b","deploymentName":"e","apiVersion":"v","is_default":true}]}""")]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","deploymentConfig":[{"alias":"a","deploymentName":"d","apiVersion":"v"}]}""")]
    [InlineData("""{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"contoso","deploymentConfig":[{"alias":"a","deploymentName":"d/../x","apiVersion":"v"}]}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"k-123456789","deploymentConfig":[{"alias":"a","deploymentName":"d","apiVersion":"v"}]}""")]
    public async Task Invalid_azure_configuration_is_refused_on_save(string body)
    {
        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/virtual-keys", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Azure_key_read_back_shows_its_deployments_and_only_the_masked_key()
    {
        string slug = await CreateAsync(new JsonObject { ["resourceName"] = "contoso", ["deploymentConfig"] = Deployments() });

        string text = await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{slug}");

        JsonNode config = JsonNode.Parse(text)!["model_config"]!;
        Assert.Equal("contoso", config["resourceName"]!.GetValue<string>());
        Assert.Equal(2, config["deployments"]!.AsArray().Count);
        Assert.DoesNotContain(Secret, text);
    }

    [Fact]
    public async Task Embeddings_and_tool_calls_go_through_the_deployment_unchanged()
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments() });
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        const string tools = """{"model":"gpt4o","tools":[{"type":"function","function":{"name":"add","parameters":{"type":"object"}}}],"tool_choice":"auto","messages":[{"role":"user","content":"2+2"}]}""";
        fixture.Mock.Enqueue(MockScript.Json(200, """
            {"id":"c","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
            "content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"add","arguments":"{\"a\":2}"}}]},
            "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}
            """));
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage toolAnswer = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(tools));
        using HttpResponseMessage embedding = await client.PostAsync("/v1/embeddings",
            GatewayFixture.Json("""{"model":"gpt4o","input":"hello"}"""));

        Assert.Equal(HttpStatusCode.OK, toolAnswer.StatusCode);
        Assert.Equal("call_9", JsonNode.Parse(await toolAnswer.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(tools, fixture.Mock.Requests[before].BodyText);
        Assert.Equal(HttpStatusCode.OK, embedding.StatusCode);
        Assert.Equal("/openai/deployments/gpt4o-prod-eu/embeddings?api-version=2024-10-21", fixture.Mock.Requests[before + 1].PathAndQuery);
    }

    [Fact]
    public async Task An_upstream_redirect_is_not_followed_nor_passed_on()
    {
        string slug = await CreateAsync(new JsonObject { ["custom_host"] = MockRoot, ["deploymentConfig"] = Deployments() });
        fixture.Mock.Enqueue(MockScript.Json(302, "{}", new Dictionary<string, string> { ["Location"] = "http://127.0.0.1:1/elsewhere" }));
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await ChatAsync(slug, "gpt4o");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal(before + 1, fixture.Mock.Requests.Count);
    }
}
