using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Providers.Anthropic;
using Portcullis.Usage;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class AnthropicStreamTranslatorTests
{
    private static (List<string> Frames, AnthropicStreamTranslator Translator) Run(
        IEnumerable<string> events, bool includeUsage, bool complete = true)
    {
        var translator = new AnthropicStreamTranslator("claude-test", includeUsage, new FakeTimeProvider());
        var output = new ArrayBufferWriter<byte>();
        foreach (string sseEvent in events)
        {
            (string name, string data) = AnthropicStreamSample.Parse(sseEvent);
            translator.OnEvent(name, Encoding.UTF8.GetBytes(data), output);
        }

        if (complete)
        {
            translator.Complete(output);
        }

        string sse = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.EndsWith("\n\n", sse, StringComparison.Ordinal);
        List<string> frames = [.. sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)];
        Assert.All(frames, f => Assert.StartsWith("data: ", f, StringComparison.Ordinal));
        return ([.. frames.Select(f => f["data: ".Length..])], translator);
    }

    private static List<JsonNode> Chunks(List<string> frames) =>
        [.. frames.Where(f => f != "[DONE]").Select(f => JsonNode.Parse(f)!)];

    private static IEnumerable<JsonNode> ToolCallDeltas(List<JsonNode> chunks) =>
        chunks.Where(c => c["choices"]!.AsArray().Count > 0)
            .Select(c => c["choices"]![0]!["delta"]!["tool_calls"])
            .OfType<JsonArray>()
            .SelectMany(a => a)
            .Select(c => c!);

    [Fact]
    public void First_chunk_carries_the_assistant_role_and_text_deltas_become_content()
    {
        (List<string> frames, _) = Run(AnthropicStreamSample.Events, includeUsage: false);
        List<JsonNode> chunks = Chunks(frames);

        JsonNode first = chunks[0];
        Assert.Equal("chat.completion.chunk", first["object"]!.GetValue<string>());
        Assert.Equal("msg_01", first["id"]!.GetValue<string>());
        Assert.Equal("claude-test", first["model"]!.GetValue<string>());
        Assert.Equal("assistant", first["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        string text = string.Concat(chunks.Select(c => c["choices"]!.AsArray().Count > 0
            ? c["choices"]![0]!["delta"]!["content"]?.GetValue<string>() : null));
        Assert.Equal(AnthropicStreamSample.Text, text);
    }

    [Fact]
    public void Parallel_tool_calls_get_indexes_0_and_1_and_their_pieces_concatenate_to_the_arguments()
    {
        (List<string> frames, _) = Run(AnthropicStreamSample.Events, includeUsage: false);
        List<JsonNode> deltas = [.. ToolCallDeltas(Chunks(frames))];

        List<JsonNode> starts = [.. deltas.Where(d => d["id"] is not null)];
        Assert.Equal(2, starts.Count);
        Assert.Equal(
            """{"index":0,"id":"toolu_1","type":"function","function":{"name":"add_numbers","arguments":""}}""",
            starts[0].ToJsonString());
        Assert.Equal(1, starts[1]["index"]!.GetValue<int>());
        Assert.Equal("toolu_2", starts[1]["id"]!.GetValue<string>());

        string ArgumentsOf(int index) => string.Concat(deltas
            .Where(d => d["index"]!.GetValue<int>() == index)
            .Select(d => d["function"]!["arguments"]!.GetValue<string>()));
        Assert.Equal("""{"a":17,"b":25}""", ArgumentsOf(0));
        Assert.Equal("""{"a":2,"b":2}""", ArgumentsOf(1));
    }

    [Fact]
    public void Message_delta_gives_the_finish_reason_and_cumulative_output_tokens_are_counted_once()
    {
        (List<string> frames, AnthropicStreamTranslator translator) = Run(AnthropicStreamSample.Events, includeUsage: true);
        List<JsonNode> chunks = Chunks(frames);

        JsonNode finish = chunks.Single(c => c["choices"]!.AsArray().Count > 0
            && c["choices"]![0]!["finish_reason"] is not null);
        Assert.Equal("tool_calls", finish["choices"]![0]!["finish_reason"]!.GetValue<string>());

        // 25 input + 5 cache writes + 100 cache reads; output 40 is the last cumulative value, not 1 + 30 + 40.
        Assert.Equal(new TokenUsage(130, 40, 170, CachedPromptTokens: 100), translator.Usage);
        Assert.True(translator.SawMessageStop);
        JsonNode usageChunk = chunks[^1];
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(
            """{"prompt_tokens":130,"completion_tokens":40,"total_tokens":170,"prompt_tokens_details":{"cached_tokens":100}}""",
            usageChunk["usage"]!.ToJsonString());
        Assert.Equal("[DONE]", frames[^1]);
    }

    [Fact]
    public void Without_include_usage_the_stream_ends_with_done_and_no_usage_chunk()
    {
        (List<string> frames, _) = Run(AnthropicStreamSample.Events, includeUsage: false);

        Assert.Equal("[DONE]", frames[^1]);
        Assert.DoesNotContain(frames, f => f.Contains("\"usage\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tool_use_block_that_starts_with_its_input_still_sends_the_arguments()
    {
        string[] events =
        [
            AnthropicStreamSample.Events[0],
            """
            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9","name":"add_numbers","input":{"a":17,"b":25}}}
            """,
            """
            event: content_block_stop
            data: {"type":"content_block_stop","index":0}
            """,
        ];

        (List<string> frames, _) = Run(events, includeUsage: false);

        string arguments = string.Concat(ToolCallDeltas(Chunks(frames))
            .Select(d => d["function"]!["arguments"]!.GetValue<string>()));
        Assert.Equal("""{"a":17,"b":25}""", arguments);
    }

    [Fact]
    public void An_error_event_becomes_an_openai_error_frame()
    {
        string[] events =
        [
            AnthropicStreamSample.Events[0],
            """
            event: error
            data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}
            """,
        ];

        (List<string> frames, AnthropicStreamTranslator translator) = Run(events, includeUsage: false, complete: false);

        Assert.Equal(
            """{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}""",
            frames[^1]);
        Assert.True(translator.SawError);
        Assert.False(translator.SawMessageStop);
    }
}
