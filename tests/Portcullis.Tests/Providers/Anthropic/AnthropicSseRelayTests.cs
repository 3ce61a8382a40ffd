using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Forwarding;
using Portcullis.Providers.Anthropic;

namespace Portcullis.Tests.Providers.Anthropic;

public sealed class AnthropicSseRelayTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    private static async Task<(RelayOutcome Outcome, string Output, AnthropicStreamTranslator Translator)> RelayAsync(
        Stream upstream, TimeSpan? idle = null, CancellationToken clientAborted = default)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var translator = new AnthropicStreamTranslator("claude-test", includeUsage: true, new FakeTimeProvider());

        RelayOutcome outcome = await new TranslatingSseRelay()
            .RelayAsync(upstream, context.Response, translator, idle ?? Idle, clientAborted);

        return (outcome, Encoding.UTF8.GetString(body.ToArray()), translator);
    }

    private static async Task<string> SingleReadOutputAsync()
    {
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse());
        (RelayOutcome outcome, string output, _) = await RelayAsync(new MemoryStream(sse));
        Assert.Equal(RelayOutcome.Completed, outcome);
        return output;
    }

    [Fact]
    public async Task A_complete_stream_is_translated_and_ends_with_usage_and_done()
    {
        string output = await SingleReadOutputAsync();

        Assert.EndsWith("data: [DONE]\n\n", output, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"tool_calls\"", output, StringComparison.Ordinal);
        Assert.Contains("\"choices\":[],\"usage\":{\"prompt_tokens\":130", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task Reads_of_one_to_three_bytes_give_the_same_output_as_one_read(string newline)
    {
        string expected = await SingleReadOutputAsync();
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse(newline));

        (RelayOutcome outcome, string output, _) = await RelayAsync(new ChunkedReadStream(sse, 1, 3, 2, 1, 1, 3));

        Assert.Equal(RelayOutcome.Completed, outcome);
        Assert.Equal(expected, output);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task A_split_at_every_byte_position_gives_the_same_output_as_one_read(string newline)
    {
        string expected = await SingleReadOutputAsync();
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse(newline));

        // Two reads, the first ending at each position in turn: inside UTF-8 characters, between "data:" and its
        // payload, and between CR and LF among them.
        for (int split = 1; split < sse.Length; split++)
        {
            (RelayOutcome outcome, string output, _) =
                await RelayAsync(new ChunkedReadStream(sse, split, sse.Length));

            Assert.Equal(RelayOutcome.Completed, outcome);
            Assert.Equal(expected, output);
        }
    }

    [Fact]
    public async Task A_stream_that_ends_before_message_stop_is_cut_and_gets_no_done()
    {
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse(eventCount: 9));

        (RelayOutcome outcome, string output, AnthropicStreamTranslator translator) =
            await RelayAsync(new ChunkedReadStream(sse, 7));

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
        Assert.Contains("\"id\":\"toolu_1\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", output, StringComparison.Ordinal);
        Assert.False(translator.SawMessageStop);
    }

    [Fact]
    public async Task Half_an_event_at_the_end_of_the_stream_is_not_passed_on()
    {
        string full = AnthropicStreamSample.Sse(eventCount: 4);
        byte[] sse = Encoding.UTF8.GetBytes(full[..^10]);

        (RelayOutcome outcome, string output, _) = await RelayAsync(new MemoryStream(sse));

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
        Assert.DoesNotContain("Adding", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_that_goes_quiet_times_out_without_done()
    {
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse(eventCount: 4));

        (RelayOutcome outcome, string output, _) =
            await RelayAsync(new StalledStream(sse), TimeSpan.FromMilliseconds(100));

        Assert.Equal(RelayOutcome.IdleTimeout, outcome);
        Assert.Contains("Adding", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[DONE]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_the_relay_as_cancelled()
    {
        using var client = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        (RelayOutcome outcome, _, _) = await RelayAsync(new StalledStream([]), clientAborted: client.Token);

        Assert.Equal(RelayOutcome.ClientCancelled, outcome);
    }

    [Fact]
    public async Task An_event_over_16_MiB_is_refused_as_too_large()
    {
        byte[] sse = new byte[17 * 1024 * 1024];
        "data: "u8.CopyTo(sse);
        sse.AsSpan(6).Fill((byte)'x');

        (RelayOutcome outcome, string output, _) = await RelayAsync(new MemoryStream(sse));

        Assert.Equal(RelayOutcome.TooLarge, outcome);
        Assert.Empty(output);
    }
}
