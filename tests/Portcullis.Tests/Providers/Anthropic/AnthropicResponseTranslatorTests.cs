using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Providers.Anthropic;
using Portcullis.Usage;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class AnthropicResponseTranslatorTests
{
    private static (JsonNode Completion, TokenUsage Usage) Translate(string anthropic)
    {
        byte[] body = AnthropicResponseTranslator.ToChatCompletion(Encoding.UTF8.GetBytes(anthropic), out TokenUsage usage);
        return (JsonNode.Parse(body)!, usage);
    }

    private const string SmallUsage = """{"input_tokens":10,"output_tokens":5}""";

    private static string Message(string content, string stopReason, string usage = SmallUsage) =>
        $$"""
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-test","content":{{content}},
         "stop_reason":"{{stopReason}}","stop_sequence":null,"usage":{{usage}}}
        """;

    [Fact]
    public void Text_blocks_are_joined_into_the_message_content()
    {
        (JsonNode completion, TokenUsage usage) = Translate(
            Message("""[{"type":"text","text":"Hello, "},{"type":"text","text":"world."}]""", "end_turn"));

        Assert.Equal("msg_01", completion["id"]!.GetValue<string>());
        Assert.Equal("chat.completion", completion["object"]!.GetValue<string>());
        Assert.Equal("claude-test", completion["model"]!.GetValue<string>());
        Assert.True(completion["created"]!.GetValue<long>() > 0);
        JsonNode choice = completion["choices"]![0]!;
        Assert.Equal("assistant", choice["message"]!["role"]!.GetValue<string>());
        Assert.Equal("Hello, world.", choice["message"]!["content"]!.GetValue<string>());
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal(new TokenUsage(10, 5, 15), usage);
    }

    [Fact]
    public void Tool_use_blocks_become_tool_calls_with_arguments_as_a_json_string()
    {
        (JsonNode completion, _) = Translate(Message("""
            [{"type":"text","text":"Let me add."},
             {"type":"tool_use","id":"toolu_1","name":"add_numbers","input":{"a":17,"b":25}}]
            """, "tool_use"));

        JsonNode choice = completion["choices"]![0]!;
        Assert.Equal("tool_calls", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal("Let me add.", choice["message"]!["content"]!.GetValue<string>());
        JsonNode call = choice["message"]!["tool_calls"]![0]!;
        Assert.Equal("toolu_1", call["id"]!.GetValue<string>());
        Assert.Equal("function", call["type"]!.GetValue<string>());
        Assert.Equal("add_numbers", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"a":17,"b":25}""", call["function"]!["arguments"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    public void Stop_reasons_map_to_finish_reasons(string stopReason, string finishReason)
    {
        (JsonNode completion, _) = Translate(Message("""[{"type":"text","text":"x"}]""", stopReason));

        Assert.Equal(finishReason, completion["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public void Cached_input_counts_in_prompt_tokens_and_reads_are_reported_as_cached()
    {
        (JsonNode completion, TokenUsage usage) = Translate(Message(
            """[{"type":"text","text":"x"}]""",
            "end_turn",
            """{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":1000,"output_tokens":7}"""));

        Assert.Equal(new TokenUsage(1210, 7, 1217, CachedPromptTokens: 1000), usage);
        JsonNode reported = completion["usage"]!;
        Assert.Equal(1210, reported["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(7, reported["completion_tokens"]!.GetValue<int>());
        Assert.Equal(1217, reported["total_tokens"]!.GetValue<int>());
        Assert.Equal(1000, reported["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void Anthropic_errors_keep_their_type_in_openai_shape()
    {
        byte[] body = AnthropicResponseTranslator.ToOpenAiError(
            """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""u8, out string? message);

        Assert.Equal("Overloaded", message);
        Assert.Equal(
            """{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}""",
            Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void An_error_body_that_is_not_json_still_gives_an_openai_error()
    {
        byte[] body = AnthropicResponseTranslator.ToOpenAiError("<html>502 Bad Gateway</html>"u8, out string? message);

        Assert.Null(message);
        JsonNode error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal("upstream_error", error["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }
}
