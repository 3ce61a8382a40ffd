using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Providers;

/// <summary><c>POST /v1/messages</c> (Anthropic's format) against an OpenAI-format key: case B22 end to end.</summary>
public sealed class MessagesRouteTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string ToolsRequest = """
        {"model":"mock-model","max_tokens":200,"stream":true,
         "tools":[{"name":"add_numbers","description":"add","input_schema":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}],
         "messages":[{"role":"user","content":"17+25?"}]}
        """;

    private async Task<HttpClient> ClientAsync()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-openai-for-messages-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = fixture.NewClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    private static string Chunk(string delta, string? finish = null) =>
        $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"mock-model","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""";

    [Fact]
    public async Task Streamed_tool_call_from_an_openai_upstream_reaches_an_anthropic_client_whole()
    {
        using HttpClient client = await ClientAsync();
        fixture.Mock.Enqueue(MockScript.Sse([
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add_numbers","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"17,\"b\":25}"}}]}"""),
            Chunk("{}", "tool_calls"),
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"mock-model","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42}}""",
        ]));
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(ToolsRequest));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = new List<(string Name, JsonNode Data)>();
        foreach (string frame in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = frame.Split('\n');
            events.Add((lines[0]["event: ".Length..], JsonNode.Parse(lines[1]["data: ".Length..])!));
        }

        Assert.Equal(["message_start", "content_block_start", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name).Where(n => n != "content_block_delta").ToArray());
        JsonNode start = events.Single(e => e.Name == "content_block_start").Data["content_block"]!;
        Assert.Equal("tool_use", start["type"]!.GetValue<string>());
        Assert.Equal("call_1", start["id"]!.GetValue<string>());
        Assert.Equal("add_numbers", start["name"]!.GetValue<string>());
        string json = string.Concat(events.Where(e => e.Name == "content_block_delta")
            .Select(e => e.Data["delta"]!["partial_json"]!.GetValue<string>()));
        Assert.Equal("""{"a":17,"b":25}""", json);
        Assert.Equal("tool_use", events.Single(e => e.Name == "message_delta").Data["delta"]!["stop_reason"]!.GetValue<string>());

        JsonNode sent = JsonNode.Parse(fixture.Mock.Requests[before].BodyText)!;
        Assert.Equal("/v1/chat/completions", fixture.Mock.Requests[before].PathAndQuery);
        Assert.Equal("add_numbers", sent["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Non_streamed_messages_request_gets_an_anthropic_message_from_an_openai_upstream()
    {
        using HttpClient client = await ClientAsync();

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(
            """{"model":"gpt-4o-mini","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}"""));
        JsonNode message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message", message["type"]!.GetValue<string>());
        Assert.Equal("text", message["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("end_turn", message["stop_reason"]!.GetValue<string>());
        Assert.True(message["usage"]!["input_tokens"]!.GetValue<int>() > 0);
        JsonNode sent = JsonNode.Parse(fixture.Mock.Requests[^1].BodyText)!;
        Assert.Equal("system", sent["messages"]![0]!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tool_results_in_the_history_reach_the_openai_upstream_as_tool_messages()
    {
        using HttpClient client = await ClientAsync();
        string body = """
            {"model":"gpt-4o-mini","max_tokens":100,"messages":[
              {"role":"user","content":"17+25?"},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"add_numbers","input":{"a":17,"b":25}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":[{"type":"text","text":"42"}]}]}]}
            """;

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonArray messages = JsonNode.Parse(fixture.Mock.Requests[^1].BodyText)!["messages"]!.AsArray();
        Assert.Equal("call_1", messages[1]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("tool", messages[2]!["role"]!.GetValue<string>());
        Assert.Equal("call_1", messages[2]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("42", messages[2]!["content"]!.ToString());
    }

    [Fact]
    public async Task Upstream_errors_reach_an_anthropic_client_in_anthropics_error_shape()
    {
        using HttpClient client = await ClientAsync();
        fixture.Mock.Enqueue(MockScript.Json(429, """{"error":{"message":"Rate limit reached","type":"rate_limit_error","code":"429"}}"""));

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(
            """{"model":"gpt-4o-mini","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"""));
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("rate_limit_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Contains("Rate limit reached", error["error"]!["message"]!.GetValue<string>());
    }
}
