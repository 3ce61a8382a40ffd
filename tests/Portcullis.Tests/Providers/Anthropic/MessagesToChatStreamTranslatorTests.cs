using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Providers.Anthropic;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class MessagesToChatStreamTranslatorTests
{
    private const string Arguments = "{\"a\":17,\"b\":25}";

    /// <summary>The chunks case B22's OpenAI-compatible mock streams: a tool call in three pieces, finish, usage.</summary>
    internal static string[] B22Chunks() =>
    [
        Chunk("""{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add_numbers","arguments":""}}]}"""),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}"""),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"17,\"b\":25}"}}]}"""),
        Chunk("{}", "tool_calls"),
        UsageChunk(prompt: 50, completion: 12),
    ];

    internal static string Chunk(string delta, string? finishReason = null) =>
        "{\"id\":\"chatcmpl-b22\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock-model\","
        + $"\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":"
        + (finishReason is null ? "null" : $"\"{finishReason}\"") + "}]}";

    internal static string UsageChunk(int prompt, int completion) =>
        "{\"id\":\"chatcmpl-b22\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock-model\","
        + $"\"choices\":[],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},"
        + $"\"total_tokens\":{prompt + completion}}}}}";

    /// <summary>Splits Anthropic SSE output into its events: the event name and the parsed data.</summary>
    internal static List<(string Name, JsonNode Data)> Events(string sse)
    {
        var events = new List<(string, JsonNode)>();
        foreach (string frame in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            JsonNode data = JsonNode.Parse(lines[1]["data: ".Length..])!;
            Assert.Equal(lines[0]["event: ".Length..], (string)data["type"]!);
            events.Add((lines[0]["event: ".Length..], data));
        }

        return events;
    }

    private static (string Output, MessagesToChatStreamTranslator Translator) Translate(params string[] chunks)
    {
        var translator = new MessagesToChatStreamTranslator("claude-via-openai");
        var output = new ArrayBufferWriter<byte>();
        foreach (string chunk in chunks)
        {
            translator.OnChunk(Encoding.UTF8.GetBytes(chunk), output);
        }

        translator.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), translator);
    }

    private static string PartialJsonOf(List<(string Name, JsonNode Data)> events, int blockIndex) =>
        string.Concat(events
            .Where(e => e.Name == "content_block_delta" && (int)e.Data["index"]! == blockIndex)
            .Select(e => (string)e.Data["delta"]!["partial_json"]!));

    [Fact]
    public void B22_tool_call_streamed_in_pieces_becomes_one_tool_use_block_with_its_whole_input()
    {
        (string output, MessagesToChatStreamTranslator translator) = Translate(B22Chunks());
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        JsonNode start = events[1].Data;
        Assert.Equal(
            """{"type":"tool_use","id":"call_1","name":"add_numbers","input":{}}""",
            start["content_block"]!.ToJsonString());
        Assert.All(events.Where(e => e.Name == "content_block_delta"),
            e => Assert.Equal("input_json_delta", (string)e.Data["delta"]!["type"]!));
        Assert.Equal(Arguments, PartialJsonOf(events, 0));
        JsonNode delta = events[5].Data;
        Assert.Equal("tool_use", (string)delta["delta"]!["stop_reason"]!);
        Assert.Null(delta["delta"]!["stop_sequence"]);
        Assert.Equal(12, (int)delta["usage"]!["output_tokens"]!);
        Assert.True(translator.SawFinish);
        Assert.Equal(new global::Portcullis.Usage.TokenUsage(50, 12, 62), translator.Usage);
    }

    [Fact]
    public void B22a_id_name_and_whole_arguments_in_one_chunk_still_arrive_as_input_json_delta()
    {
        string single = Chunk(
            """{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add_numbers","arguments":"{\"a\":17,\"b\":25}"}}]}""");

        (string output, _) = Translate(single, Chunk("{}", "tool_calls"), UsageChunk(50, 12));
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
                "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal("call_1", (string)events[1].Data["content_block"]!["id"]!);
        Assert.Equal("input_json_delta", (string)events[2].Data["delta"]!["type"]!);
        Assert.Equal(Arguments, PartialJsonOf(events, 0));
    }

    [Fact]
    public void B22b_two_parallel_tool_calls_become_two_separate_blocks_each_closed()
    {
        string[] chunks =
        [
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add_numbers","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":17,"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"b\":25}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"add_numbers","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"function":{"arguments":"{\"a\":1,\"b\":2}"}}]}"""),
            Chunk("{}", "tool_calls"),
        ];

        (string output, _) = Translate(chunks);
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal(
            ["message_start",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1], events.Skip(1).Take(7).Select(e => (int)e.Data["index"]!));
        Assert.Equal("call_1", (string)events[1].Data["content_block"]!["id"]!);
        Assert.Equal("call_2", (string)events[5].Data["content_block"]!["id"]!);
        Assert.Equal(Arguments, PartialJsonOf(events, 0));
        Assert.Equal("{\"a\":1,\"b\":2}", PartialJsonOf(events, 1));
        Assert.Equal(0, (int)events[8].Data["usage"]!["output_tokens"]!);
    }

    [Fact]
    public void B22b_two_tool_calls_in_one_chunk_become_two_blocks()
    {
        string both = Chunk(
            """{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"add_numbers","arguments":"{\"a\":17,\"b\":25}"}},"""
            + """{"index":1,"id":"call_2","function":{"name":"add_numbers","arguments":"{}"}}]}""");

        (string output, _) = Translate(both, Chunk("{}", "tool_calls"));
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal(2, events.Count(e => e.Name == "content_block_start"));
        Assert.Equal(2, events.Count(e => e.Name == "content_block_stop"));
        Assert.Equal(Arguments, PartialJsonOf(events, 0));
        Assert.Equal("{}", PartialJsonOf(events, 1));
    }

    [Fact]
    public void Text_before_a_tool_call_is_its_own_block_closed_when_the_tool_block_starts()
    {
        (string output, _) = Translate(
            Chunk("""{"role":"assistant","content":"Let me "}"""),
            Chunk("""{"content":"add."}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"add_numbers","arguments":"{}"}}]}"""),
            Chunk("{}", "tool_calls"));
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal(
            ["message_start", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal("""{"type":"text","text":""}""", events[1].Data["content_block"]!.ToJsonString());
        Assert.Equal("Let me add.", string.Concat(events.Take(4).Skip(2).Select(e => (string)e.Data["delta"]!["text"]!)));
        Assert.Equal(1, (int)events[5].Data["index"]!);
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    public void A_text_answer_ends_with_the_mapped_stop_reason_and_output_tokens(string finish, string stopReason)
    {
        (string output, MessagesToChatStreamTranslator translator) = Translate(
            Chunk("""{"role":"assistant","content":"Hi"}"""), Chunk("{}", finish), UsageChunk(7, 3));
        List<(string Name, JsonNode Data)> events = Events(output);

        JsonNode start = events[0].Data["message"]!;
        Assert.Equal("msg_chatcmpl-b22", (string)start["id"]!);
        Assert.Equal("claude-via-openai", (string)start["model"]!);
        Assert.Equal(stopReason, (string)events[^2].Data["delta"]!["stop_reason"]!);
        Assert.Equal(3, (int)events[^2].Data["usage"]!["output_tokens"]!);
        Assert.Equal(7, (int)events[^2].Data["usage"]!["input_tokens"]!);
        Assert.True(translator.SawFinish);
    }

    [Fact]
    public void Argument_pieces_that_arrive_before_the_name_are_sent_once_the_block_starts()
    {
        (string output, _) = Translate(
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","function":{"arguments":"{\"a\":17,"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"name":"add_numbers","arguments":"\"b\":25}"}}]}"""),
            Chunk("{}", "tool_calls"));
        List<(string Name, JsonNode Data)> events = Events(output);

        Assert.Equal("add_numbers", (string)events[1].Data["content_block"]!["name"]!);
        Assert.Equal(Arguments, PartialJsonOf(events, 0));
    }

    [Fact]
    public void An_empty_stream_still_gets_a_well_formed_message()
    {
        (string output, MessagesToChatStreamTranslator translator) = Translate();

        Assert.Equal(["message_start", "message_delta", "message_stop"], Events(output).Select(e => e.Name));
        Assert.False(translator.SawFinish);
        Assert.False(translator.Usage.IsKnown);
    }

    [Fact]
    public void An_error_object_in_the_stream_becomes_an_anthropic_error_event()
    {
        var translator = new MessagesToChatStreamTranslator("m");
        var output = new ArrayBufferWriter<byte>();

        translator.OnChunk("""{"error":{"message":"Rate limit reached","code":429}}"""u8, output);

        (string name, JsonNode data) = Assert.Single(Events(Encoding.UTF8.GetString(output.WrittenSpan)));
        Assert.Equal("error", name);
        Assert.Equal("rate_limit_error", (string)data["error"]!["type"]!);
        Assert.Equal("Rate limit reached", (string)data["error"]!["message"]!);
        Assert.True(translator.SawError);
    }
}
