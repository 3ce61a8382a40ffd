using System.Text;
using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class PromptTokenCounterTests
{
    // The example conversation of OpenAI's cookbook ("How to count tokens with tiktoken"), whose prompt_tokens the
    // cookbook shows as reported by the API: 129 for gpt-4, 124 for gpt-4o.
    private const string CookbookMessages = """
        [
          {"role":"system","content":"You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
          {"role":"system","name":"example_user","content":"New synergies will help drive top-line growth."},
          {"role":"system","name":"example_assistant","content":"Things working well together will increase revenue."},
          {"role":"system","name":"example_user","content":"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
          {"role":"system","name":"example_assistant","content":"Let's talk later when we're less busy about how to do better."},
          {"role":"user","content":"This late pivot means we don't have time to boil the ocean for the client deliverable."}
        ]
        """;

    // The cookbook's tool example: the API reported 105 prompt tokens for gpt-4, 101 for gpt-4o.
    private const string CookbookToolRequest = """
        {"messages":[
          {"role":"system","content":"You are a helpful assistant that can answer to questions about the weather."},
          {"role":"user","content":"What's the weather like in San Francisco?"}],
         "tools":[{"type":"function","function":{"name":"get_current_weather",
           "description":"Get the current weather in a given location",
           "parameters":{"type":"object","properties":{
             "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
             "unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},
           "required":["location"]}}}]}
        """;

    private static int Count(string operation, string? model, string body) =>
        PromptTokenCounter.Count(operation, model, Encoding.UTF8.GetBytes(body));

    private static int Text(string text, string? model = "gpt-4o") => TokenCounter.CountText(model, text);

    [Theory]
    [InlineData("gpt-4", 129)]
    [InlineData("gpt-4o", 124)]
    public void Chat_messages_count_as_the_openai_api_counted_them(string model, int apiPromptTokens)
    {
        string body = $$"""{"model":"{{model}}","messages":{{CookbookMessages}},"temperature":0,"max_tokens":1}""";

        Assert.Equal(apiPromptTokens, Count("chat/completions", model, body));
    }

    [Theory]
    [InlineData("gpt-4", 105)]
    [InlineData("gpt-4o", 101)]
    public void Function_tools_count_as_the_openai_api_counted_them(string model, int apiPromptTokens)
    {
        Assert.Equal(apiPromptTokens, Count("chat/completions", model, CookbookToolRequest));
    }

    [Fact]
    public void Older_functions_count_like_the_same_tools()
    {
        string functions = CookbookToolRequest
            .Replace("\"tools\":[{\"type\":\"function\",\"function\":", "\"functions\":[", StringComparison.Ordinal)
            .Replace("]}}}]}", "]}}]}", StringComparison.Ordinal);

        Assert.Equal(101, Count("chat/completions", "gpt-4o", functions));
    }

    [Fact]
    public void A_nested_parameter_schema_adds_its_raw_json()
    {
        string items = """{"type":"string"}""";
        string plain = """{"messages":[],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"tags":{"type":"array","description":"Tags"}}}}}]}""";
        string nested = plain.Replace("\"description\":\"Tags\"", $"\"description\":\"Tags\",\"items\":{items}", StringComparison.Ordinal);

        Assert.Equal(Count("chat/completions", "gpt-4o", plain) + Text(items), Count("chat/completions", "gpt-4o", nested));
    }

    [Fact]
    public void Text_parts_count_their_text_and_images_a_fixed_cost_by_detail()
    {
        string parts = """
            {"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in this picture?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==","detail":"low"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}
            """;

        int expected = 3 + Text("user") + Text("What is in this picture?") + 85 + 765 + 3;
        Assert.Equal(expected, Count("chat/completions", "gpt-4o", parts));
    }

    [Fact]
    public void Tool_calls_and_tool_results_count_their_names_arguments_and_strings()
    {
        string body = """
            {"messages":[
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"Sunny, 24 C"}]}
            """;

        int assistant = 3 + Text("assistant") + 3 + Text("get_weather") + Text("{\"city\":\"Paris\"}");
        int tool = 3 + Text("tool") + Text("call_1") + Text("Sunny, 24 C");
        Assert.Equal(assistant + tool + 3, Count("chat/completions", "gpt-4o", body));
    }

    [Fact]
    public void Escaped_text_counts_as_the_text_it_stands_for()
    {
        string escaped = """{"messages":[{"role":"user","content":"line one\nline \"two\" caf\u00e9"}]}""";

        Assert.Equal(3 + Text("user") + Text("line one\nline \"two\" café") + 3, Count("chat/completions", null, escaped));
    }

    [Fact]
    public void A_json_schema_response_format_counts_and_a_plain_one_does_not()
    {
        const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        string schema = """{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}""";
        int plain = Count("chat/completions", "gpt-4o", "{" + Messages + ",\"response_format\":{\"type\":\"json_object\"}}");

        Assert.Equal(Count("chat/completions", "gpt-4o", "{" + Messages + "}"), plain);
        Assert.Equal(plain + Text(schema), Count("chat/completions", "gpt-4o", "{" + Messages + ",\"response_format\":" + schema + "}"));
    }

    [Theory]
    [InlineData("""{"prompt":"Say this is a test"}""", "Say this is a test")]
    [InlineData("""{"prompt":["Say this","is a test"]}""", "Say this|is a test")]
    [InlineData("""{"prompt":"Once upon","suffix":"the end."}""", "Once upon|the end.")]
    public void Completions_count_the_prompt_strings(string body, string pieces)
    {
        int expected = pieces.Split('|').Sum(p => Text(p, "gpt-3.5-turbo-instruct"));

        Assert.Equal(expected, Count("completions", "gpt-3.5-turbo-instruct", body));
    }

    [Theory]
    [InlineData("""{"prompt":[1212,318,257,1332]}""", 4)]
    [InlineData("""{"prompt":[[1212,318],[257,1332,13]]}""", 5)]
    [InlineData("""{"input":[[1,2,3]]}""", 0)]
    public void Completions_token_arrays_count_their_length(string body, int tokens)
    {
        Assert.Equal(tokens, Count("completions", "davinci-002", body));
    }

    [Theory]
    [InlineData("""{"input":"The food was delicious"}""", "The food was delicious")]
    [InlineData("""{"input":["The food","was delicious"]}""", "The food|was delicious")]
    public void Embeddings_count_the_input_strings(string body, string pieces)
    {
        int expected = pieces.Split('|').Sum(p => Text(p, "text-embedding-3-small"));

        Assert.Equal(expected, Count("embeddings", "text-embedding-3-small", body));
    }

    [Fact]
    public void Embeddings_token_arrays_count_their_length()
    {
        Assert.Equal(7, Count("embeddings", "text-embedding-3-small", """{"input":[[1,2,3],[4,5,6,7]]}"""));
    }

    [Fact]
    public void Anthropic_messages_count_system_messages_blocks_and_tools()
    {
        string body = """
            {"model":"claude-sonnet-4-5","max_tokens":1024,
             "system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],
             "tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"text","text":"Checking."},
                 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Sunny"}]},
                 {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}
            """;

        int system = Text("You are terse.");
        int tools = Text("get_weather") + Text("Weather for a city")
            + Text("""{"type":"object","properties":{"city":{"type":"string"}}}""") + 346;
        int first = 3 + Text("user") + Text("Weather in Paris?");
        int second = 3 + Text("assistant") + Text("Checking.") + Text("get_weather") + Text("""{"city":"Paris"}""");
        int third = 3 + Text("user") + Text("Sunny") + 1600;
        Assert.Equal(system + tools + first + second + third + 3, Count("messages", "claude-sonnet-4-5", body));
    }

    [Fact]
    public void An_anthropic_system_string_counts_its_text()
    {
        string body = """{"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}""";

        Assert.Equal(Text("Be brief.") + 3 + Text("user") + Text("Hi") + 3, Count("messages", "claude-3-5-haiku", body));
    }

    [Fact]
    public void A_value_of_an_unknown_shape_counts_its_raw_json()
    {
        string body = """{"messages":[{"role":"user","content":{"weird":"shape"}},{"role":"user","content":[{"type":"mystery","data":[1,2]}]}]}""";

        int first = 3 + Text("user") + Text("""{"weird":"shape"}""");
        int second = 3 + Text("user") + Text("""{"type":"mystery","data":[1,2]}""");
        Assert.Equal(first + second + 3, Count("chat/completions", "gpt-4o", body));
    }

    [Fact]
    public void Every_string_of_a_chat_message_counts_and_other_values_count_their_raw_json()
    {
        string body = """{"messages":[{"role":"user","content":"hi","extra":"note","data":[1,2]}]}""";

        int expected = 3 + Text("user") + Text("hi") + Text("note") + Text("[1,2]") + 3;
        Assert.Equal(expected, Count("chat/completions", "gpt-4o", body));
    }

    [Fact]
    public void An_unknown_operation_counts_the_raw_body()
    {
        string body = """{"model":"m","input":"hello"}""";

        Assert.Equal(Text(body), Count("responses", "gpt-4o", body));
    }

    [Theory]
    [InlineData("chat/completions")]
    [InlineData("completions")]
    [InlineData("embeddings")]
    [InlineData("messages")]
    [InlineData("responses")]
    public void Odd_shapes_never_throw(string operation)
    {
        string deep = new string('[', 200) + new string(']', 200);
        string[] bodies =
        [
            "{}", "[]", "\"text\"", "42", "null", "not json at all", "{\"messages\":", "",
            """{"messages":"hi","prompt":{"a":1},"input":true,"system":5,"tools":"x"}""",
            """{"messages":[1,null,"x",[],{"content":{"a":1}},{"content":[1,null,{"type":"unknown"},"s",[2]]}]}""",
            """{"messages":[{"tool_calls":[1,"x",{"function":5},{"function":{"name":7,"arguments":{"a":1}}}],"function_call":[]}]}""",
            """{"tools":[1,{"function":5},{"function":{"parameters":{"properties":{"a":5,"b":{"enum":"x"}}}}},{"name":{}}]}""",
            """{"functions":{"a":1},"response_format":"json_schema"}""",
            """{"prompt":[[1,[2,[3]]],{"x":1},null,true],"input":[null,[null]]}""",
            """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://x"},{"image_url":[1]}]}]}""",
            """{"system":[{"type":"text"}],"messages":[{"content":[{"type":"tool_result","content":{"a":1}}]}],"tools":[1,{"input_schema":5}]}""",
            "{\"messages\":" + deep + "}",
            "{\"prompt\":" + deep + "}",
        ];

        foreach (string body in bodies)
        {
            Assert.True(Count(operation, "gpt-4o", body) >= 0);
            Assert.True(PromptTokenCounter.MaxOutputTokens(operation, Encoding.UTF8.GetBytes(body)).Choices >= 1);
        }

        byte[] invalidUtf8 = [.. "{\"prompt\":\""u8, 0xFF, 0xFE, .. "\",\"messages\":[{\"content\":\""u8, 0xC3, .. "\"}]}"u8];
        Assert.True(PromptTokenCounter.Count(operation, null, invalidUtf8) >= 0);
    }

    [Fact]
    public void Text_that_is_not_valid_utf8_still_counts()
    {
        byte[] body = [.. "{\"messages\":[{\"role\":\"user\",\"content\":\"abc"u8, 0xFF, 0xFE, .. "\"}]}"u8];

        Assert.True(PromptTokenCounter.Count("chat/completions", "gpt-4o", body) >= 3 + Text("user") + Text("abc") + 3);
    }

    [Theory]
    [InlineData("chat/completions", """{"max_completion_tokens":300,"max_tokens":100,"n":2}""", 300, 2)]
    [InlineData("chat/completions", """{"max_tokens":100}""", 100, 1)]
    [InlineData("chat/completions", """{"messages":[]}""", null, 1)]
    [InlineData("chat/completions", """{"max_completion_tokens":0,"max_tokens":2000}""", 2000, 1)]
    [InlineData("chat/completions", """{"max_tokens":null,"n":0}""", null, 1)]
    [InlineData("completions", """{"prompt":"x"}""", null, 1)]
    [InlineData("completions", """{"max_tokens":50,"n":2,"best_of":5}""", 50, 5)]
    [InlineData("completions", """{"max_tokens":50,"n":3,"best_of":1}""", 50, 3)]
    [InlineData("completions", """{"prompt":["a","b","c"],"max_tokens":10}""", 10, 3)]
    [InlineData("completions", """{"prompt":[[1,2],[3]],"max_tokens":10,"n":2}""", 10, 4)]
    [InlineData("completions", """{"prompt":[1,2,3],"max_tokens":10}""", 10, 1)]
    [InlineData("messages", """{"max_tokens":1024,"n":4}""", 1024, 1)]
    [InlineData("messages", """{"messages":[]}""", null, 1)]
    [InlineData("embeddings", """{"input":"x","max_tokens":5}""", 0, 1)]
    [InlineData("chat/completions", "not json", null, 1)]
    public void The_output_cap_is_read_per_operation(string operation, string body, int? maxTokens, int choices)
    {
        OutputCap cap = PromptTokenCounter.MaxOutputTokens(operation, Encoding.UTF8.GetBytes(body));

        Assert.Equal(new OutputCap(maxTokens, choices), cap);
    }

    [Theory]
    [InlineData("""{"max_tokens":-5}""", "max_tokens")]
    [InlineData("""{"max_tokens":1.5}""", "max_tokens")]
    [InlineData("""{"n":"40"}""", "n")]
    [InlineData("""{"n":4e1}""", "n")]
    [InlineData("""{"max_completion_tokens":"100"}""", "max_completion_tokens")]
    public void An_output_count_an_upstream_could_read_differently_is_a_problem(string body, string field)
    {
        OutputCap cap = PromptTokenCounter.MaxOutputTokens("chat/completions", Encoding.UTF8.GetBytes(body));

        Assert.NotNull(cap.Problem);
        Assert.StartsWith(field + " ", cap.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_worst_case_uses_the_model_limit_when_no_cap_is_set()
    {
        Assert.Equal(2 * 16_384L, new OutputCap(null, 2).WorstCase(16_384));
        Assert.Equal(3 * 100L, new OutputCap(100, 3).WorstCase(16_384));
    }
}
