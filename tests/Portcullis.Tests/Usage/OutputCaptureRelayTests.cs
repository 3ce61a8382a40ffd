using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Portcullis.Forwarding;
using Portcullis.Providers.Anthropic;
using Portcullis.Tests.Providers.Anthropic;
using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Usage;

public sealed class OutputCaptureRelayTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    private static string OpenAiStream(bool done)
    {
        string[] pieces = ["Once", " upon", " a", " time"];
        var sse = new StringBuilder();
        sse.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,")
            .Append("\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        foreach (string piece in pieces)
        {
            sse.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,")
                .Append("\"delta\":{\"content\":\"").Append(piece).Append("\"},\"finish_reason\":null}]}\n\n");
        }

        if (done)
        {
            sse.Append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],")
                .Append("\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4,\"total_tokens\":9}}\n\n")
                .Append("data: [DONE]\n\n");
        }

        return sse.ToString();
    }

    private static async Task<(RelayOutcome Outcome, string Output)> RelayAsync(string sse, OutputCapture? capture)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var relay = new SseRelay(forwardUsageOnlyChunks: false) { Capture = capture };

        RelayOutcome outcome = await relay.RelayAsync(
            new ChunkedReadStream(Encoding.UTF8.GetBytes(sse), 7, 13, 5), context.Response, Idle, CancellationToken.None);

        return (outcome, Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task A_cut_stream_relayed_with_a_capture_passes_the_same_bytes_and_its_text_can_be_counted()
    {
        string sse = OpenAiStream(done: false);
        using var capture = new OutputCapture();

        (RelayOutcome outcome, string output) = await RelayAsync(sse, capture);
        (RelayOutcome plainOutcome, string plainOutput) = await RelayAsync(sse, capture: null);

        Assert.Equal(RelayOutcome.UpstreamCut, outcome);
        Assert.Equal(plainOutcome, outcome);
        Assert.Equal(plainOutput, output);
        Assert.Equal(TokenCounter.CountText("gpt-4o", "Once upon a time"), capture.EstimateCompletionTokens("gpt-4o"));
    }

    [Fact]
    public async Task A_held_back_usage_chunk_is_still_held_back_with_a_capture()
    {
        string sse = OpenAiStream(done: true);
        using var capture = new OutputCapture();

        (RelayOutcome outcome, string output) = await RelayAsync(sse, capture);
        (_, string plainOutput) = await RelayAsync(sse, capture: null);

        Assert.Equal(RelayOutcome.Completed, outcome);
        Assert.Equal(plainOutput, output);
        Assert.DoesNotContain("\"usage\"", output, StringComparison.Ordinal);
        Assert.Equal(TokenCounter.CountText("gpt-4o", "Once upon a time"), capture.EstimateCompletionTokens("gpt-4o"));
    }

    [Fact]
    public async Task A_translated_stream_captures_the_upstream_events_before_translation()
    {
        byte[] sse = Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse());
        using var capture = new OutputCapture();

        string output = await TranslateAsync(sse, capture);
        string plainOutput = await TranslateAsync(sse, capture: null);

        Assert.Equal(plainOutput, output);
        string upstreamText = AnthropicStreamSample.Text + "add_numbers{\"a\":17,\"b\":25}add_numbers{\"a\":2,\"b\":2}";
        Assert.Equal(
            TokenCounter.CountText("claude-test", upstreamText), capture.EstimateCompletionTokens("claude-test"));
    }

    private static async Task<string> TranslateAsync(byte[] sse, OutputCapture? capture)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var translator = new AnthropicStreamTranslator("claude-test", includeUsage: true, new FakeTimeProvider());

        RelayOutcome outcome = await new TranslatingSseRelay { Capture = capture }
            .RelayAsync(new ChunkedReadStream(sse, 11, 3, 17), context.Response, translator, Idle, CancellationToken.None);

        Assert.Equal(RelayOutcome.Completed, outcome);
        return Encoding.UTF8.GetString(body.ToArray());
    }
}
