using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Providers.Anthropic;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class AnthropicRequestTranslatorTests
{
    private static JsonNode Translate(string openAi, int defaultMaxTokens = 4096)
    {
        byte[]? body = AnthropicRequestTranslator.FromChatCompletion(
            Encoding.UTF8.GetBytes(openAi), "claude-test", defaultMaxTokens, out string? problem);
        Assert.True(body is not null, problem);
        Assert.Null(problem);
        return JsonNode.Parse(body)!;
    }

    private static string Refused(string openAi)
    {
        byte[]? body = AnthropicRequestTranslator.FromChatCompletion(
            Encoding.UTF8.GetBytes(openAi), "claude-test", 1024, out string? problem);
        Assert.Null(body);
        Assert.False(string.IsNullOrWhiteSpace(problem));
        return problem!;
    }

    [Fact]
    public void System_and_developer_messages_become_the_top_level_system_text()
    {
        JsonNode body = Translate("""
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
              {"role":"user","content":"hi"}]}
            """);

        Assert.Equal("Be brief.\n\nAnswer in French.", body["system"]!.GetValue<string>());
        Assert.Equal("claude-test", body["model"]!.GetValue<string>());
        JsonArray messages = body["messages"]!.AsArray();
        Assert.Single(messages);
        Assert.Equal("user", messages[0]!["role"]!.GetValue<string>());
        Assert.Equal("hi", messages[0]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void Max_tokens_falls_back_to_the_default_and_prefers_the_client_value()
    {
        Assert.Equal(4096, Translate("""{"messages":[{"role":"user","content":"x"}]}""")["max_tokens"]!.GetValue<int>());
        Assert.Equal(50, Translate("""{"max_tokens":50,"messages":[{"role":"user","content":"x"}]}""")["max_tokens"]!
            .GetValue<int>());
        Assert.Equal(70, Translate("""{"max_completion_tokens":70,"messages":[{"role":"user","content":"x"}]}""")
            ["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void Multi_part_user_content_keeps_text_and_maps_data_and_http_images()
    {
        JsonNode body = Translate("""
            {"messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]}
            """);

        JsonArray content = body["messages"]![0]!["content"]!.AsArray();
        Assert.Equal(3, content.Count);
        Assert.Equal("What is this?", content[0]!["text"]!.GetValue<string>());
        Assert.Equal("""{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}""",
            content[1]!["source"]!.ToJsonString());
        Assert.Equal("image", content[1]!["type"]!.GetValue<string>());
        Assert.Equal("""{"type":"url","url":"https://example.com/cat.jpg"}""", content[2]!["source"]!.ToJsonString());
    }

    [Fact]
    public void Tool_history_becomes_tool_use_and_merged_tool_result_turns()
    {
        JsonNode body = Translate("""
            {"messages":[
              {"role":"user","content":"17+25? and 2+2?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"add_numbers","arguments":"{\"a\":17,\"b\":25}"}},
                {"id":"call_2","type":"function","function":{"name":"add_numbers","arguments":"{\"a\":2,\"b\":2}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"42"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"4"}]},
              {"role":"user","content":"thanks"}]}
            """);

        JsonArray messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));

        JsonArray toolUses = messages[1]!["content"]!.AsArray();
        Assert.Equal(2, toolUses.Count);
        Assert.Equal(
            """{"type":"tool_use","id":"call_1","name":"add_numbers","input":{"a":17,"b":25}}""",
            toolUses[0]!.ToJsonString());

        JsonArray results = messages[2]!["content"]!.AsArray();
        Assert.Equal(3, results.Count);
        Assert.Equal("""{"type":"tool_result","tool_use_id":"call_1","content":"42"}""", results[0]!.ToJsonString());
        Assert.Equal(
            """{"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"4"}]}""",
            results[1]!.ToJsonString());
        Assert.Equal("thanks", results[2]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void Consecutive_messages_of_one_role_are_merged_so_turns_alternate()
    {
        JsonNode body = Translate("""
            {"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},
              {"role":"assistant","content":"c"},{"role":"assistant","content":"d"},{"role":"user","content":"e"}]}
            """);

        JsonArray messages = body["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal(2, messages[0]!["content"]!.AsArray().Count);
        Assert.Equal(2, messages[1]!["content"]!.AsArray().Count);
    }

    [Fact]
    public void Stop_sampling_stream_user_and_tools_are_carried_over_and_unknown_fields_dropped()
    {
        JsonNode body = Translate("""
            {"messages":[{"role":"user","content":"x"}],"stop":"END","temperature":0.5,"top_p":0.9,"stream":true,
             "user":"u-1","logit_bias":{"1":2},"seed":7,
             "tools":[{"type":"function","function":{"name":"add","description":"adds",
               "parameters":{"type":"object","properties":{"a":{"type":"number"}}}}}]}
            """);

        Assert.Equal("""["END"]""", body["stop_sequences"]!.ToJsonString());
        Assert.Equal(0.5, body["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, body["top_p"]!.GetValue<double>());
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Equal("u-1", body["metadata"]!["user_id"]!.GetValue<string>());
        Assert.Equal(
            """[{"name":"add","description":"adds","input_schema":{"type":"object","properties":{"a":{"type":"number"}}}}]""",
            body["tools"]!.ToJsonString());
        Assert.Null(body["logit_bias"]);
        Assert.Null(body["seed"]);

        JsonNode many = Translate("""{"messages":[{"role":"user","content":"x"}],"stop":["a","b"]}""");
        Assert.Equal("""["a","b"]""", many["stop_sequences"]!.ToJsonString());
    }

    [Theory]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"required\"", """{"type":"any"}""")]
    [InlineData("""{"type":"function","function":{"name":"add"}}""", """{"type":"tool","name":"add"}""")]
    public void Tool_choice_maps_to_anthropic_choice(string openAi, string anthropic)
    {
        JsonNode body = Translate($$$"""
            {"messages":[{"role":"user","content":"x"}],"tool_choice":{{{openAi}}},
             "tools":[{"type":"function","function":{"name":"add"}}]}
            """);

        Assert.Equal(anthropic, body["tool_choice"]!.ToJsonString());
    }

    [Fact]
    public void More_than_one_choice_is_refused()
    {
        string problem = Refused("""{"n":2,"messages":[{"role":"user","content":"x"}]}""");

        Assert.Contains("'n'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Tool_call_arguments_that_are_not_json_are_refused()
    {
        string problem = Refused("""
            {"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[
              {"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\":17,"}}]}]}
            """);

        Assert.Contains("arguments", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":[{"role":"wizard","content":"x"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}""")]
    public void Bodies_that_cannot_be_translated_are_refused_with_a_reason(string openAi) => Refused(openAi);
}
