using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Portcullis.Forwarding;
using Portcullis.Providers.Anthropic;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class MessagesToChatSseRelayTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    // Case B22's stream with a text chunk in front whose characters take two to four bytes in UTF-8.
    private static string Sse(string newline = "\n", bool done = true)
    {
        var sse = new StringBuilder();
        sse.Append(": keep-alive").Append(newline).Append(newline);
        string[] chunks =
        [
            MessagesToChatStreamTranslatorTests.Chunk("""{"role":"assistant","content":"Grüße, 你好 🙂"}"""),
            .. MessagesToChatStreamTranslatorTests.B22Chunks(),
        ];
        foreach (string chunk in chunks)
        {
            sse.Append("data: ").Append(chunk).Append(newline).Append(newline);
        }

        if (done)
        {
            sse.Append("data: [DONE]").Append(newline).Append(newline);
        }

        return sse.ToString();
    }

    private static async Task<(RelayOutcome Outcome, string Output, MessagesToChatStreamTranslator Translator)>
        RelayAsync(Stream upstream, TimeSpan? idle = null, CancellationToken clientAborted = default)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var translator = new MessagesToChatStreamTranslator("claude-via-openai");

        RelayOutcome outcome = await new TranslatingSseRelay()
            .RelayAsync(upstream, context.Response, translator, idle ?? Idle, clientAborted);

        return (outcome, Encoding.UTF8.GetString(body.ToArray()), translator);
    }

    private static async Task<string> SingleReadOutputAsync()
    {
        (RelayOutcome outcome, string output, _) = await RelayAsync(new MemoryStream(Encoding.UTF8.GetBytes(Sse())));
        Assert.Equal(RelayOutcome.Completed, outcome);
        return output;
    }

    [Fact]
    public async Task B22_relayed_stream_gives_the_expected_event_order_and_whole_input()
    {
        string output = await SingleReadOutputAsync();
        List<(string Name, JsonNode Data)> events = MessagesToChatStreamTranslatorTests.Events(output);

        Assert.Equal(
            ["message_start",
                "content_block_start", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop"],
            events.Select(e => e.Name));
        Assert.Equal("Grüße, 你好 🙂", (string)events[2].Data["delta"]!["text"]!);
        Assert.Equal(
            """{"type":"tool_use","id":"call_1","name":"add_numbers","input":{}}""",
            events[4].Data["content_block"]!.ToJsonString());
        Assert.Equal("{\"a\":17,\"b\":25}", string.Concat(
            events.Skip(5).Take(2).Select(e => (string)e.Data["delta"]!["partial_json"]!)));
        Assert.Equal("tool_use", (string)events[8].Data["delta"]!["stop_reason"]!);
        Assert.Equal(12, (int)events[8].Data["usage"]!["output_tokens"]!);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task Reads_of_one_to_three_bytes_give_the_same_output_as_one_read(string newline)
    {
        string expected = await SingleReadOutputAsync();
        byte[] sse = Encoding.UTF8.GetBytes(Sse(newline));

        (RelayOutcome outcome, string output, MessagesToChatStreamTranslator translator) =
            await RelayAsync(new ChunkedReadStream(sse, 1, 3, 2, 1, 1, 3));

        Assert.Equal(RelayOutcome.Completed, outcome);
        Assert.Equal(expected, output);
        Assert.True(translator.SawFinish);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task A_split_at_every_byte_position_gives_the_same_output_as_one_read(string newline)
    {
        string expected = await SingleReadOutputAsync();
        byte[] sse = Encoding.UTF8.GetBytes(Sse(newline));

        // The first read ends at each position in turn: inside UTF-8 characters, between "data:" and its payload,
        // and between CR and LF among them.
        for (int split = 1; split < sse.Length; split++)
        {
            (RelayOutcome outcome, string output, _) = await RelayAsync(new ChunkedReadStream(sse, split, sse.Length));

            Assert.Equal(RelayOutcome.Completed, outcome);
            Assert.Equal(expected, output);
        }
    }

    [Fact]
    public async Task A_stream_that_ends_before_done_is_cut_and_gets_no_message_stop()
    {
        byte[] sse = Encoding.UTF8.GetBytes(Sse(done: false));

        (RelayOutcome outcome, string output, _) = await RelayAsync(new ChunkedReadStream(sse, 7));

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
        Assert.Contains("\"id\":\"call_1\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Half_an_event_at_the_end_of_the_stream_is_not_passed_on()
    {
        string full = Sse(done: false);
        int lastData = full.LastIndexOf("data: ", StringComparison.Ordinal);
        byte[] sse = Encoding.UTF8.GetBytes(full[..(lastData + 20)] + "\n");

        (RelayOutcome outcome, string output, MessagesToChatStreamTranslator translator) =
            await RelayAsync(new MemoryStream(sse));

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
        Assert.False(translator.Usage.IsKnown);
        Assert.DoesNotContain("message_stop", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_that_goes_quiet_times_out_after_passing_on_what_arrived()
    {
        byte[] sse = Encoding.UTF8.GetBytes(Sse(done: false));

        (RelayOutcome outcome, string output, _) =
            await RelayAsync(new StalledStream(sse), TimeSpan.FromMilliseconds(100));

        Assert.Equal(RelayOutcome.IdleTimeout, outcome);
        Assert.Contains("add_numbers", output, StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_the_relay_as_cancelled()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();

        (RelayOutcome outcome, _, _) = await RelayAsync(
            new StalledStream(Encoding.UTF8.GetBytes(Sse())), clientAborted: aborted.Token);

        Assert.Equal(RelayOutcome.ClientCancelled, outcome);
    }

    [Fact]
    public async Task A_chunk_that_is_not_json_ends_the_relay_as_cut()
    {
        byte[] sse = Encoding.UTF8.GetBytes("data: <html>bad gateway</html>\n\ndata: [DONE]\n\n");

        (RelayOutcome outcome, _, _) = await RelayAsync(new MemoryStream(sse));

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
    }

    [Fact]
    public async Task An_event_over_16_mib_is_refused_as_too_large()
    {
        byte[] sse = new byte[(16 * 1024 * 1024) + 64];
        sse.AsSpan().Fill((byte)'x');
        "data: "u8.CopyTo(sse);

        (RelayOutcome outcome, string output, _) = await RelayAsync(new MemoryStream(sse));

        Assert.Equal(RelayOutcome.TooLarge, outcome);
        Assert.Empty(output);
    }
}
