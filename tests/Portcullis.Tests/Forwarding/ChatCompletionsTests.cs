using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

public sealed class ChatCompletionsTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string ProviderKey = "sk-provider-chat-tests-0001";
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]}""";

    private async Task<(HttpClient Client, string GatewayKey, string Slug)> SetUpAsync()
    {
        string slug = await fixture.CreateVirtualKeyAsync(ProviderKey);
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        return (fixture.NewClient(key), key, slug);
    }

    [Fact]
    public async Task Virtual_key_header_forwards_with_the_stored_provider_key_and_no_gateway_key()
    {
        (HttpClient client, string gatewayKey, string slug) = await SetUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);
        request.Headers.Add("Authorization", "Bearer " + gatewayKey);
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.SendAsync(request);

        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", JsonNode.Parse(text)!["object"]!.GetValue<string>());
        Assert.Equal("openai", response.Headers.GetValues("x-portkey-provider").Single());
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("x-portkey-trace-id").Single()));
        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.Equal("/v1/chat/completions", upstream.PathAndQuery);
        Assert.Equal("Bearer " + ProviderKey, upstream.Headers["Authorization"]);
        Assert.DoesNotContain(upstream.Headers, h => h.Value.Contains(gatewayKey, StringComparison.Ordinal));
        Assert.DoesNotContain(upstream.Headers.Keys, k => k.StartsWith("x-portkey", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Provider_header_with_at_slug_selects_the_virtual_key()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-provider", "@" + slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Catalog_model_strips_only_the_slug_prefix_and_keeps_later_slashes()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        int before = fixture.Mock.Requests.Count;
        string body = $$"""{"model":"@{{slug}}/org/model.v1:beta","messages":[{"role":"user","content":"hi"}],"temperature":0.5}""";

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.Equal("""{"model":"org/model.v1:beta","messages":[{"role":"user","content":"hi"}],"temperature":0.5}""", upstream.BodyText);
    }

    [Fact]
    public async Task Trace_id_from_the_caller_is_echoed_and_recorded()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        string traceId = "trace-" + Guid.NewGuid().ToString("n");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);
        request.Headers.Add("x-portkey-trace-id", traceId);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(traceId, response.Headers.GetValues("x-portkey-trace-id").Single());
        JsonNode? log = await WaitForLogAsync(traceId);
        Assert.NotNull(log);
        Assert.Equal(slug, log!["virtual_key"]!.GetValue<string>());
        Assert.Equal("gpt-4o-mini", log["model"]!.GetValue<string>());
        Assert.Equal(200, log["status"]!.GetValue<int>());
        Assert.True(log["prompt_tokens"]!.GetValue<int>() > 0);
        Assert.True(log["completion_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task Non_streaming_usage_recorded_matches_what_the_upstream_reported()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        fixture.Mock.Enqueue(MockScript.Json(200, """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,
            "message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":3}}}
            """));
        string traceId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);
        request.Headers.Add("x-portkey-trace-id", traceId);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode log = (await WaitForLogAsync(traceId))!;
        Assert.Equal(1000, log["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(500, log["completion_tokens"]!.GetValue<int>());
        Assert.Equal(1500, log["total_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Completions_embeddings_and_models_are_forwarded()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage completion = await client.PostAsync("/v1/completions",
            GatewayFixture.Json("""{"model":"gpt-3.5-turbo-instruct","prompt":"Say hi"}"""));
        using HttpResponseMessage embedding = await client.PostAsync("/v1/embeddings",
            GatewayFixture.Json("""{"model":"text-embedding-3-small","input":["a","b"]}"""));
        using HttpResponseMessage models = await client.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        Assert.Equal("text_completion", (await completion.Content.ReadFromJsonAsync<JsonNode>())!["object"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, embedding.StatusCode);
        Assert.Equal(2, (await embedding.Content.ReadFromJsonAsync<JsonNode>())!["data"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal("list", (await models.Content.ReadFromJsonAsync<JsonNode>())!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upstream_error_keeps_its_status_and_retry_after_and_names_the_provider()
    {
        (HttpClient client, _, string slug) = await SetUpAsync();
        fixture.Mock.Enqueue(MockScript.Json(429, """{"error":{"code":"429","message":"Rate limit reached for deployment"}}""",
            new Dictionary<string, string> { ["Retry-After"] = "7", ["retry-after-ms"] = "7000" }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("7000", response.Headers.GetValues("retry-after-ms").Single());
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("openai", error["provider"]!.GetValue<string>());
        Assert.StartsWith("openai error: Rate limit reached", error["error"]!["message"]!.GetValue<string>());
        Assert.False(response.Headers.Contains("x-portkey-gateway-exception"));
    }

    [Fact]
    public async Task Upstream_rejection_of_the_provider_key_reaches_the_client_as_401_from_the_provider()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-not-accepted-by-mock-9999");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        fixture.Mock.Enqueue(MockScript.Json(401, """{"error":{"message":"Incorrect API key provided: sk-not-***9999","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"""));
        using HttpClient client = fixture.NewClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("invalid_api_key", error["error"]!["code"]!.GetValue<string>());
        Assert.Equal("openai", error["provider"]!.GetValue<string>());
    }

    private async Task<JsonNode?> WaitForLogAsync(string traceId)
    {
        for (int i = 0; i < 100; i++)
        {
            JsonArray logs = await fixture.WaitForLogsAsync(1);
            JsonNode? match = logs.FirstOrDefault(l => l?["trace_id"]?.GetValue<string>() == traceId);
            if (match is not null)
            {
                return match;
            }

            await Task.Delay(50);
        }

        return null;
    }
}
