using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Providers.Anthropic;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class MessagesToChatRequestTranslatorTests
{
    private const string Tools =
        """[{"name":"add_numbers","description":"add","input_schema":{"type":"object","properties":""" +
        """{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}]""";

    private static JsonNode Translate(string body, out bool stream)
    {
        byte[]? translated = MessagesToChatRequestTranslator.Translate(
            Encoding.UTF8.GetBytes(body), "gpt-upstream", out stream, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(translated);
        return JsonNode.Parse(translated)!;
    }

    private static string ProblemOf(string body)
    {
        byte[]? translated = MessagesToChatRequestTranslator.Translate(
            Encoding.UTF8.GetBytes(body), "gpt-upstream", out _, out string? problem);
        Assert.Null(translated);
        Assert.NotNull(problem);
        return problem;
    }

    [Fact]
    public void B22_streamed_tool_request_becomes_a_chat_request_with_functions_and_usage_asked_for()
    {
        string body = "{\"model\":\"mock-model\",\"max_tokens\":200,\"stream\":true,\"tools\":" + Tools
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"17+25?\"}]}";

        JsonNode chat = Translate(body, out bool stream);

        Assert.True(stream);
        JsonNode expected = JsonNode.Parse("""
            {"model":"gpt-upstream","messages":[{"role":"user","content":"17+25?"}],"max_tokens":200,
             "tools":[{"type":"function","function":{"name":"add_numbers","description":"add",
               "parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},
                 "required":["a","b"]}}}],
             "stream":true,"stream_options":{"include_usage":true}}
            """)!;
        Assert.True(JsonNode.DeepEquals(expected, chat), chat.ToJsonString());
    }

    [Fact]
    public void B22c_tool_use_and_tool_result_history_reaches_the_upstream_as_tool_calls_and_a_tool_message()
    {
        string body = "{\"model\":\"mock-model\",\"max_tokens\":200,\"tools\":" + Tools + ",\"messages\":["
            + """{"role":"user","content":"17+25?"},"""
            + """{"role":"assistant","content":[{"type":"text","text":"Adding."},"""
            + """{"type":"tool_use","id":"call_1","name":"add_numbers","input":{"a":17,"b":25}}]},"""
            + """{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":[{"type":"text","text":"42"}]}]}"""
            + "]}";

        JsonNode chat = Translate(body, out bool stream);

        Assert.False(stream);
        JsonArray messages = chat["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal("user", (string)messages[0]!["role"]!);
        Assert.Equal("17+25?", (string)messages[0]!["content"]!);
        JsonNode assistant = messages[1]!;
        Assert.Equal("assistant", (string)assistant["role"]!);
        Assert.Equal("Adding.", (string)assistant["content"]!);
        JsonNode call = Assert.Single(assistant["tool_calls"]!.AsArray())!;
        Assert.Equal("call_1", (string)call["id"]!);
        Assert.Equal("function", (string)call["type"]!);
        Assert.Equal("add_numbers", (string)call["function"]!["name"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("{\"a\":17,\"b\":25}"), JsonNode.Parse((string)call["function"]!["arguments"]!)));
        Assert.Equal("""{"role":"tool","tool_call_id":"call_1","content":"42"}""", messages[2]!.ToJsonString());
    }

    [Fact]
    public void Tool_results_go_before_the_rest_of_their_user_turn()
    {
        string body = """
            {"max_tokens":10,"messages":[
              {"role":"assistant","content":[
                {"type":"tool_use","id":"a","name":"f","input":{}},
                {"type":"tool_use","id":"b","name":"f","input":{"x":1}}]},
              {"role":"user","content":[
                {"type":"text","text":"Both done?"},
                {"type":"tool_result","tool_use_id":"a","content":"one"},
                {"type":"tool_result","tool_use_id":"b","content":"two"}]}]}
            """;

        JsonArray messages = Translate(body, out _)["messages"]!.AsArray();

        Assert.Equal(4, messages.Count);
        Assert.Null(messages[0]!["content"]);
        Assert.Equal(2, messages[0]!["tool_calls"]!.AsArray().Count);
        Assert.Equal("{}", (string)messages[0]!["tool_calls"]![0]!["function"]!["arguments"]!);
        Assert.Equal("""{"role":"tool","tool_call_id":"a","content":"one"}""", messages[1]!.ToJsonString());
        Assert.Equal("""{"role":"tool","tool_call_id":"b","content":"two"}""", messages[2]!.ToJsonString());
        Assert.Equal("""{"role":"user","content":"Both done?"}""", messages[3]!.ToJsonString());
    }

    [Theory]
    [InlineData("\"Be brief.\"")]
    [InlineData("[{\"type\":\"text\",\"text\":\"Be\"},{\"type\":\"text\",\"text\":\"brief.\",\"cache_control\":{\"type\":\"ephemeral\"}}]")]
    public void System_prompt_becomes_the_first_message(string system)
    {
        string body = "{\"max_tokens\":10,\"system\":" + system + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        JsonArray messages = Translate(body, out _)["messages"]!.AsArray();

        Assert.Equal("system", (string)messages[0]!["role"]!);
        Assert.Contains("brief.", (string)messages[0]!["content"]!, StringComparison.Ordinal);
        Assert.Equal("user", (string)messages[1]!["role"]!);
    }

    [Fact]
    public void Images_become_image_url_parts_with_data_urls_for_base64()
    {
        string body = """
            {"max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"text","text":"What are these?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
              {"type":"image","source":{"type":"url","url":"https://example.test/cat.jpg"}}]}]}
            """;

        JsonNode user = Translate(body, out _)["messages"]![0]!;

        Assert.Equal(
            """[{"type":"text","text":"What are these?"},""" +
            """{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},""" +
            """{"type":"image_url","image_url":{"url":"https://example.test/cat.jpg"}}]""",
            user["content"]!.ToJsonString());
    }

    [Fact]
    public void Sampling_stopping_and_user_fields_are_carried_over()
    {
        string body = """
            {"max_tokens":64,"temperature":0.2,"top_p":0.9,"top_k":5,"stop_sequences":["END","STOP"],
             "metadata":{"user_id":"user-7"},"messages":[{"role":"user","content":"hi"}]}
            """;

        JsonNode chat = Translate(body, out bool stream);

        Assert.False(stream);
        Assert.Equal(64, (int)chat["max_tokens"]!);
        Assert.Equal(0.2, (double)chat["temperature"]!);
        Assert.Equal(0.9, (double)chat["top_p"]!);
        Assert.Equal("""["END","STOP"]""", chat["stop"]!.ToJsonString());
        Assert.Equal("user-7", (string)chat["user"]!);
        Assert.Null(chat["top_k"]);
        Assert.Null(chat["stream"]);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"")]
    [InlineData("""{"type":"any"}""", "\"required\"")]
    [InlineData("""{"type":"none"}""", "\"none\"")]
    [InlineData("""{"type":"tool","name":"add_numbers"}""", """{"type":"function","function":{"name":"add_numbers"}}""")]
    public void Tool_choice_maps_to_openais_form(string choice, string expected)
    {
        string body = "{\"max_tokens\":10,\"tools\":" + Tools + ",\"tool_choice\":" + choice
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        JsonNode chat = Translate(body, out _);

        Assert.Equal(expected, chat["tool_choice"]!.ToJsonString());
    }

    [Fact]
    public void Disabling_parallel_tool_use_turns_off_parallel_tool_calls()
    {
        string body = "{\"max_tokens\":10,\"tools\":" + Tools
            + ",\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        Assert.False((bool)Translate(body, out _)["parallel_tool_calls"]!);
    }

    [Fact]
    public void Images_inside_a_tool_result_follow_the_tool_message_in_a_user_message()
    {
        string body = """
            {"max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"shot",
              "content":[{"type":"text","text":"screenshot"},
                {"type":"image","source":{"type":"url","url":"https://example.test/s.png"}}]}]}]}
            """;

        JsonArray messages = Translate(body, out _)["messages"]!.AsArray();

        Assert.Equal("""{"role":"tool","tool_call_id":"shot","content":"screenshot"}""", messages[0]!.ToJsonString());
        Assert.Equal("image_url", (string)messages[1]!["content"]![0]!["type"]!);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""{"max_tokens":10}""", "'messages'")]
    [InlineData("""{"max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "'max_tokens'")]
    [InlineData("""{"messages":[{"role":"system","content":"hi"}]}""", "messages[0]")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]}""", "messages[0].content[0]")]
    [InlineData(
        """{"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"hi"}]}""",
        "tools[0]")]
    [InlineData("""{"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"hi"}]}""", "'tool_choice'")]
    public void A_request_that_cannot_be_carried_is_refused_with_the_place_named(string body, string named)
    {
        Assert.Contains(named, ProblemOf(body), StringComparison.Ordinal);
    }
}
