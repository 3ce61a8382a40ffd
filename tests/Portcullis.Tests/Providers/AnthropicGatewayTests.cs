using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Providers;

/// <summary>Anthropic keys through the gateway: OpenAI chat translated both ways, and /v1/messages passed through.</summary>
public sealed class AnthropicGatewayTests : IAsyncLifetime
{
    private const string Secret = "sk-ant-test-key-0123456789";
    private GatewayFixture _fixture = null!;
    private string _slug = "";
    private string _gatewayKey = "";

    public async Task InitializeAsync()
    {
        _fixture = await GatewayFixture.StartAsync();
        await _fixture.RestartAsync(o => o.ProviderBaseUrls["anthropic"] = _fixture.Mock.BaseUrl.ToString());
        using HttpResponseMessage created = await _fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "claude", provider = "anthropic", key = Secret });
        string text = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, text);
        _slug = JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
        (_, _gatewayKey) = await _fixture.CreateApiKeyAsync("completions.write");
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private HttpClient Client()
    {
        HttpClient client = _fixture.NewClient(_gatewayKey);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", _slug);
        return client;
    }

    [Fact]
    public async Task Chat_completion_is_translated_to_the_messages_api_and_back()
    {
        using HttpClient client = Client();
        int before = _fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            """{"model":"claude-sonnet-4","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"stop":["zzz"]}"""));
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode completion = JsonNode.Parse(text)!;
        Assert.Equal("chat.completion", completion["object"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(completion["choices"]![0]!["message"]!["content"]!.GetValue<string>()));
        Assert.Equal("stop", completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
        RecordedRequest upstream = _fixture.Mock.Requests[before];
        Assert.Equal("/v1/messages", upstream.PathAndQuery);
        Assert.Equal(Secret, upstream.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", upstream.Headers["anthropic-version"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
        JsonNode sent = JsonNode.Parse(upstream.BodyText)!;
        Assert.Equal("Be brief.", sent["system"]!.GetValue<string>());
        Assert.Equal(4096, sent["max_tokens"]!.GetValue<int>());
        Assert.Equal(_fixture.Mock.TotalPromptTokens, completion["usage"]!["prompt_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Streamed_tool_call_keeps_its_arguments_whole()
    {
        using HttpClient client = Client();
        string body = """
            {"model":"claude-sonnet-4","stream":true,"stream_options":{"include_usage":true},
             "tools":[{"type":"function","function":{"name":"add_numbers","description":"add","parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}}],
             "tool_choice":"required","messages":[{"role":"user","content":"17+25?"}]}
            """;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var arguments = new StringBuilder();
        string? finish = null;
        bool usageSeen = false;
        foreach (string frame in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string data = frame["data: ".Length..];
            if (data == "[DONE]")
            {
                continue;
            }

            JsonNode chunk = JsonNode.Parse(data)!;
            usageSeen |= chunk["usage"] is JsonObject;
            foreach (JsonNode? choice in chunk["choices"]!.AsArray())
            {
                finish ??= choice!["finish_reason"]?.GetValue<string>();
                foreach (JsonNode? call in choice!["delta"]?["tool_calls"]?.AsArray() ?? [])
                {
                    arguments.Append(call!["function"]?["arguments"]?.GetValue<string>());
                }
            }
        }

        Assert.True(finish == "tool_calls", sse);
        Assert.Equal(JsonNode.Parse("""{"a":1,"b":1}""")!.ToJsonString(), JsonNode.Parse(arguments.ToString())!.ToJsonString());
        Assert.True(usageSeen);
        Assert.EndsWith("data: [DONE]\n\n", sse);
    }

    [Fact]
    public async Task Messages_route_passes_anthropics_format_through_with_the_stored_key()
    {
        using HttpClient client = _fixture.NewClient();
        client.DefaultRequestHeaders.Add("x-api-key", _gatewayKey);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        int before = _fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(
            $$"""{"model":"@{{_slug}}/claude-sonnet-4","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_start", sse);
        Assert.Contains("event: message_stop", sse);
        Assert.DoesNotContain("[DONE]", sse);
        RecordedRequest upstream = _fixture.Mock.Requests[before];
        Assert.Equal(Secret, upstream.Headers["x-api-key"]);
        Assert.Equal("claude-sonnet-4", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
        JsonNode? log = null;
        for (int i = 0; i < 100 && log is null; i++)
        {
            log = (await _fixture.WaitForLogsAsync(1)).FirstOrDefault(l => l!["path"]!.GetValue<string>() == "/v1/messages");
            await Task.Delay(50);
        }

        Assert.Equal("success", log!["outcome"]!.GetValue<string>());
        Assert.True(log["prompt_tokens"]!.GetValue<int>() > 0);
        Assert.True(log["completion_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task Anthropic_errors_come_back_in_openai_shape_with_their_status()
    {
        using HttpClient client = Client();
        _fixture.Mock.Enqueue(MockScript.Json(429, """{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}""",
            new Dictionary<string, string> { ["retry-after"] = "12" }));

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            """{"model":"claude-sonnet-4","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("12", response.Headers.GetValues("Retry-After").Single());
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("rate_limit_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal("anthropic", error["provider"]!.GetValue<string>());
    }

    [Fact]
    public async Task Operations_anthropic_does_not_have_are_refused_clearly()
    {
        using HttpClient client = Client();

        using HttpResponseMessage response = await client.PostAsync("/v1/embeddings", GatewayFixture.Json(
            """{"model":"claude-sonnet-4","input":"hi"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("anthropic", await response.Content.ReadAsStringAsync());
    }
}
