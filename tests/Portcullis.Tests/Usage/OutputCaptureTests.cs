using System.Text;
using Portcullis.Tests.Providers.Anthropic;
using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class OutputCaptureTests
{
    private static int Text(string text, string? model = "gpt-4o") => TokenCounter.CountText(model, text);

    private static int Estimate(string? model, params string[] events)
    {
        using var capture = new OutputCapture();
        foreach (string data in events)
        {
            capture.AppendEvent(Encoding.UTF8.GetBytes(data));
        }

        return capture.EstimateCompletionTokens(model);
    }

    private static string ChatChunk(string delta, int index = 0, string finish = "null") =>
        $$"""{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":{{index}},"delta":{{delta}},"finish_reason":{{finish}}}]}""";

    [Fact]
    public void Chat_chunks_count_the_text_of_their_deltas_as_one_text()
    {
        int tokens = Estimate("gpt-4o",
            ChatChunk("""{"role":"assistant","content":""}"""),
            ChatChunk("""{"content":"The capital"}"""),
            ChatChunk("""{"content":" of France is"}"""),
            ChatChunk("""{"content":" Paris.\n"}"""),
            ChatChunk("{}", finish: "\"stop\""),
            """{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}""",
            "[DONE]");

        Assert.Equal(Text("The capital of France is Paris.\n"), tokens);
    }

    [Fact]
    public void Chat_tool_call_chunks_count_the_name_and_the_arguments()
    {
        int tokens = Estimate("gpt-4o", MessagesToChatStreamTranslatorTests.B22Chunks());

        Assert.Equal(Text("add_numbers{\"a\":17,\"b\":25}"), tokens);
    }

    [Fact]
    public void A_refusal_and_reasoning_content_count()
    {
        int tokens = Estimate("gpt-4o",
            ChatChunk("""{"reasoning_content":"Thinking it over."}"""),
            ChatChunk("""{"refusal":"I can't help with that."}"""));

        Assert.Equal(Text("Thinking it over.I can't help with that."), tokens);
    }

    [Fact]
    public void Choices_are_counted_apart_even_when_their_chunks_interleave()
    {
        int tokens = Estimate("gpt-4o",
            ChatChunk("""{"content":"Hello"}""", index: 0),
            ChatChunk("""{"content":"Bonjour"}""", index: 1),
            ChatChunk("""{"content":" world"}""", index: 0),
            ChatChunk("""{"content":" le monde"}""", index: 1));

        Assert.Equal(Text("Hello world") + Text("Bonjour le monde"), tokens);
    }

    [Fact]
    public void Completions_chunks_count_their_text()
    {
        int tokens = Estimate("gpt-3.5-turbo-instruct",
            """{"id":"cmpl-1","object":"text_completion","choices":[{"text":"This is","index":0,"logprobs":null,"finish_reason":null}]}""",
            """{"id":"cmpl-1","object":"text_completion","choices":[{"text":" indeed a test","index":0,"logprobs":null,"finish_reason":"length"}]}""",
            "[DONE]");

        Assert.Equal(Text("This is indeed a test", "gpt-3.5-turbo-instruct"), tokens);
    }

    [Fact]
    public void Anthropic_text_and_tool_input_deltas_count_and_framing_events_do_not()
    {
        string[] data = AnthropicStreamSample.Events.Select(e => AnthropicStreamSample.Parse(e).Data).ToArray();

        int tokens = Estimate("claude-sonnet-4-5", data);

        string expected = AnthropicStreamSample.Text + "add_numbers{\"a\":17,\"b\":25}" + "add_numbers{\"a\":2,\"b\":2}";
        Assert.Equal(Text(expected), tokens);
    }

    [Fact]
    public void Anthropic_thinking_deltas_count()
    {
        int tokens = Estimate("claude-sonnet-4-5",
            """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me work this out."}}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}}""",
            """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"It is 4."}}""");

        Assert.Equal(Text("Let me work this out.It is 4."), tokens);
    }

    [Fact]
    public void Events_without_text_count_nothing()
    {
        int tokens = Estimate("gpt-4o",
            ChatChunk("""{"role":"assistant"}"""),
            """{"type":"ping"}""",
            """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}""",
            """{"type":"message_stop"}""",
            """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""",
            "[DONE]");

        Assert.Equal(0, tokens);
    }

    [Fact]
    public void Data_that_is_not_json_or_of_an_unknown_shape_counts_as_raw_text()
    {
        Assert.Equal(Text("plain words streamed\n"), Estimate("gpt-4o", "plain words streamed"));
        Assert.Equal(Text("""{"result":"forty-two"}""" + "\n"), Estimate("gpt-4o", """{"result":"forty-two"}"""));
    }

    [Fact]
    public void A_whole_chat_answer_counts_its_content_and_tool_calls()
    {
        string answer = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
             "content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
             "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":18,"total_tokens":38}}
            """;

        int expected = Text("Let me check.get_weather{\"city\":\"Paris\"}");
        Assert.Equal(expected, OutputCapture.EstimateCompletionTokens("gpt-4o", Encoding.UTF8.GetBytes(answer)));
        Assert.Equal(expected, Estimate("gpt-4o", answer));
    }

    [Fact]
    public void A_whole_completions_answer_counts_each_choice()
    {
        string answer = """
            {"id":"cmpl-1","object":"text_completion","choices":[{"text":"First answer","index":0},{"text":"Second answer","index":1}]}
            """;

        Assert.Equal(Text("First answer") + Text("Second answer"), Estimate("gpt-4o", answer));
    }

    [Fact]
    public void A_whole_anthropic_message_counts_text_thinking_and_tool_input()
    {
        string answer = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
             {"type":"thinking","thinking":"Weather needs a tool.","signature":"abc"},
             {"type":"text","text":"Checking the weather."},
             {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
             "stop_reason":"tool_use","usage":{"input_tokens":30,"output_tokens":40}}
            """;

        int expected = Text("Weather needs a tool.Checking the weather.get_weather" + """{"city":"Paris"}""");
        Assert.Equal(expected, OutputCapture.EstimateCompletionTokens("claude-sonnet-4-5", Encoding.UTF8.GetBytes(answer)));
    }

    [Fact]
    public void The_model_picks_the_encoding()
    {
        string chunk = ChatChunk("""{"content":"お誕生日おめでとう"}""");

        Assert.Equal(9, Estimate("gpt-4", chunk));
        Assert.Equal(8, Estimate("gpt-4o", chunk));
    }

    [Fact]
    public void Past_the_limit_nothing_more_is_kept_and_the_count_is_scaled_by_the_bytes_dropped()
    {
        string chunk = ChatChunk("""{"content":" word"}""");
        int chunkBytes = Encoding.UTF8.GetByteCount(chunk);
        using var capture = new OutputCapture(limitBytes: 10 * (chunkBytes + sizeof(int)));

        for (int i = 0; i < 40; i++)
        {
            capture.AppendEvent(Encoding.UTF8.GetBytes(chunk));
        }

        Assert.Equal(10L * chunkBytes, capture.KeptBytes);
        Assert.Equal(30L * chunkBytes, capture.DroppedBytes);
        Assert.Equal(4 * Text(string.Concat(Enumerable.Repeat(" word", 10))), capture.EstimateCompletionTokens("gpt-4o"));
    }

    [Fact]
    public void The_default_limit_keeps_at_most_four_mebibytes()
    {
        using var capture = new OutputCapture();
        byte[] chunk = Encoding.UTF8.GetBytes(ChatChunk("""{"content":" more"}"""));

        while (capture.KeptBytes + capture.DroppedBytes < 6L * 1024 * 1024)
        {
            capture.AppendEvent(chunk);
        }

        Assert.InRange(capture.KeptBytes, 3L * 1024 * 1024, OutputCapture.DefaultLimitBytes);
        Assert.True(capture.DroppedBytes > 0);
    }

    [Fact]
    public void A_capture_with_nothing_in_it_counts_zero()
    {
        using var capture = new OutputCapture();

        Assert.Equal(0, capture.EstimateCompletionTokens("gpt-4o"));
    }
}
