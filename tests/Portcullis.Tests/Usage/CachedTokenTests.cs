using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portcullis.Forwarding;
using Portcullis.Providers.Anthropic;
using Portcullis.Tests.Providers.Anthropic;
using Portcullis.Usage;

namespace Portcullis.Tests.Usage;

public sealed class CachedTokenTests
{
    private static TokenUsage Read(string json)
    {
        Assert.True(UsageReader.TryRead(Encoding.UTF8.GetBytes(json), out TokenUsage usage, out _));
        return usage;
    }

    [Fact]
    public void Openai_chat_reports_cached_tokens_in_prompt_tokens_details()
    {
        TokenUsage usage = Read("""
            {"choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
             "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}
            """);

        Assert.Equal(new TokenUsage(2006, 300, 2306, CachedPromptTokens: 1920), usage);
    }

    [Fact]
    public void The_responses_shape_reports_cached_tokens_in_input_tokens_details()
    {
        TokenUsage usage = Read("""
            {"object":"response","usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":256},
             "output_tokens":52,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":380}}
            """);

        Assert.Equal(new TokenUsage(328, 52, 380, CachedPromptTokens: 256), usage);
    }

    [Fact]
    public void Anthropic_cache_reads_are_cached_and_with_cache_writes_part_of_the_prompt()
    {
        TokenUsage usage = Read("""
            {"type":"message","usage":{"input_tokens":10,"cache_creation_input_tokens":200,"cache_read_input_tokens":1000,"output_tokens":7}}
            """);

        Assert.Equal(new TokenUsage(1210, 7, 1217, CachedPromptTokens: 1000), usage);
    }

    [Fact]
    public void Anthropic_message_start_reports_cache_reads_inside_the_message()
    {
        TokenUsage usage = Read("""
            {"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":25,"cache_read_input_tokens":100,"output_tokens":1}}}
            """);

        Assert.Equal(new TokenUsage(125, 1, 126, CachedPromptTokens: 100), usage);
    }

    [Fact]
    public void A_usage_without_cache_fields_leaves_cached_tokens_unknown()
    {
        Assert.Null(Read("""{"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}""").CachedPromptTokens);
        Assert.Null(Read("""{"usage":{"input_tokens":10,"output_tokens":5}}""").CachedPromptTokens);
    }

    [Fact]
    public async Task A_relayed_anthropic_stream_keeps_the_cache_reads_of_message_start_after_message_delta()
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var relay = new SseRelay(forwardUsageOnlyChunks: true, anthropicEvents: true);

        RelayOutcome outcome = await relay.RelayAsync(new MemoryStream(Encoding.UTF8.GetBytes(AnthropicStreamSample.Sse())),
            context.Response, TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(RelayOutcome.Completed, outcome);
        Assert.Equal(new TokenUsage(130, 40, 170, CachedPromptTokens: 100), relay.Usage);
    }

    [Fact]
    public void A_translated_openai_stream_reports_its_cached_tokens()
    {
        var translator = new MessagesToChatStreamTranslator("claude-via-openai");
        var output = new ArrayBufferWriter<byte>();
        string usageChunk = """
            {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":5,
             "total_tokens":105,"prompt_tokens_details":{"cached_tokens":60}}}
            """;

        translator.OnChunk(Encoding.UTF8.GetBytes(MessagesToChatStreamTranslatorTests.Chunk("""{"content":"x"}""")), output);
        translator.OnChunk(Encoding.UTF8.GetBytes(usageChunk), output);

        Assert.Equal(new TokenUsage(100, 5, 105, CachedPromptTokens: 60), translator.Usage);
    }
}
