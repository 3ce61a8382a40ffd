using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Providers.Anthropic;
using Portcullis.Usage;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class MessagesToChatResponseTranslatorTests
{
    private static JsonNode Translate(string completion, out TokenUsage usage) =>
        JsonNode.Parse(MessagesToChatResponseTranslator.Translate(Encoding.UTF8.GetBytes(completion), "claude-x", out usage))!;

    private static string Completion(string message, string finishReason, string usage = "") =>
        "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-x\","
        + $"\"choices\":[{{\"index\":0,\"message\":{message},\"finish_reason\":\"{finishReason}\"}}]{usage}}}";

    [Fact]
    public void Text_and_tool_calls_become_a_text_block_and_tool_use_blocks_with_parsed_input()
    {
        string completion = Completion(
            """{"role":"assistant","content":"Adding.","tool_calls":[{"id":"call_1","type":"function","function":""" +
            """{"name":"add_numbers","arguments":"{\"a\":17,\"b\":25}"}}]}""",
            "tool_calls",
            ""","usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49}""");

        JsonNode message = Translate(completion, out TokenUsage usage);

        JsonNode expected = JsonNode.Parse("""
            {"id":"msg_chatcmpl-9","type":"message","role":"assistant","model":"claude-x",
             "content":[{"type":"text","text":"Adding."},
               {"type":"tool_use","id":"call_1","name":"add_numbers","input":{"a":17,"b":25}}],
             "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":9}}
            """)!;
        Assert.True(JsonNode.DeepEquals(expected, message), message.ToJsonString());
        Assert.Equal(new TokenUsage(40, 9, 49), usage);
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void Finish_reason_maps_to_anthropics_stop_reason(string finish, string stopReason)
    {
        JsonNode message = Translate(Completion("""{"role":"assistant","content":"x"}""", finish), out _);

        Assert.Equal(stopReason, (string)message["stop_reason"]!);
    }

    [Fact]
    public void Tool_calls_ended_with_stop_are_still_reported_as_tool_use()
    {
        string completion = Completion(
            """{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}""",
            "stop");

        JsonNode message = Translate(completion, out _);

        Assert.Equal("tool_use", (string)message["stop_reason"]!);
        Assert.Single(message["content"]!.AsArray());
    }

    [Fact]
    public void Cached_prompt_tokens_are_counted_apart_as_anthropic_does()
    {
        string completion = Completion("""{"role":"assistant","content":"x"}""", "stop",
            ""","usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_tokens_details":{"cached_tokens":60}}""");

        JsonNode message = Translate(completion, out TokenUsage usage);

        Assert.Equal(40, (int)message["usage"]!["input_tokens"]!);
        Assert.Equal(60, (int)message["usage"]!["cache_read_input_tokens"]!);
        Assert.Equal(new TokenUsage(100, 5, 105, CachedPromptTokens: 60), usage);
    }

    [Fact]
    public void Arguments_that_are_not_a_json_object_give_an_empty_input()
    {
        string completion = Completion(
            """{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}""",
            "tool_calls");

        JsonNode message = Translate(completion, out _);

        Assert.Equal("{}", message["content"]![0]!["input"]!.ToJsonString());
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(502, "api_error")]
    public void An_openai_error_becomes_anthropics_error_typed_by_status(int status, string type)
    {
        byte[] body = """{"error":{"message":"Something went wrong","type":"server_error","code":null}}"""u8.ToArray();

        JsonNode error = JsonNode.Parse(MessagesToChatResponseTranslator.TranslateError(body, status))!;

        Assert.Equal(
            $$$"""{"type":"error","error":{"type":"{{{type}}}","message":"Something went wrong"}}""",
            error.ToJsonString());
    }

    [Fact]
    public void An_error_body_that_is_not_json_still_gives_anthropics_error_shape()
    {
        JsonNode error = JsonNode.Parse(
            MessagesToChatResponseTranslator.TranslateError("<html>Bad Gateway</html>"u8, 502))!;

        Assert.Equal("error", (string)error["type"]!);
        Assert.Equal("api_error", (string)error["error"]!["type"]!);
        Assert.Contains("502", (string)error["error"]!["message"]!, StringComparison.Ordinal);
    }
}
