using System.Buffers;
using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Benchmark;

/// <summary>
/// The fixed chat answers of benchmark mode, built once: a ~1 KB <c>chat.completion</c>, a 33-frame stream, and a
/// 16-frame stream for paced (time-to-first-token) runs; each stream with and without the usage chunk.
/// </summary>
internal sealed class BenchmarkReplies
{
    private const string Model = "gpt-4o-mini-2024-07-18";

    private const int PromptTokens = 25;

    // 33 frames = role chunk + 31 content chunks + finish chunk; 16 = role + 14 + finish.
    private const int StreamContentFrames = 31;
    private const int PacedContentFrames = 14;

    private static readonly string[] Vocabulary =
    [
        "Gateways", "forward", "each", "request", "to", "an", "upstream", "model", "and", "stream", "its", "tokens",
        "back", "while", "budgets,", "limits", "and", "keys", "are", "checked", "on", "the", "way.",
    ];

    private BenchmarkReplies(TimeProvider time)
    {
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        var id = new CompletionIdentity("chatcmpl-BenchMarkFixedReply0000000000", created, Model);

        // 1. The non-streaming answer: enough words for a body of about 1 KB.
        string[] words = TakeWords(110);
        ChatUsage = new TokenUsage(PromptTokens, words.Length);
        var buffer = new ArrayBufferWriter<byte>(1536);
        using (var writer = new Utf8JsonWriter(buffer, JsonShapes.WriterOptions))
        {
            ChatPayloads.WriteCompletion(writer, id, string.Join(' ', words), "stop", 1, ChatUsage);
        }

        ChatJson = buffer.WrittenMemory.ToArray();

        // 2. The streams.
        StreamUsage = new TokenUsage(PromptTokens, StreamContentFrames);
        Stream = BuildStream(id, StreamContentFrames, StreamUsage, includeUsage: false);
        StreamWithUsage = BuildStream(id, StreamContentFrames, StreamUsage, includeUsage: true);
        PacedUsage = new TokenUsage(PromptTokens, PacedContentFrames);
        Paced = BuildStream(id, PacedContentFrames, PacedUsage, includeUsage: false);
        PacedWithUsage = BuildStream(id, PacedContentFrames, PacedUsage, includeUsage: true);
    }

    public byte[] ChatJson { get; }

    public TokenUsage ChatUsage { get; }

    public SseFrameBuffer Stream { get; }

    public SseFrameBuffer StreamWithUsage { get; }

    public TokenUsage StreamUsage { get; }

    public SseFrameBuffer Paced { get; }

    public SseFrameBuffer PacedWithUsage { get; }

    public TokenUsage PacedUsage { get; }

    public static BenchmarkReplies Build(TimeProvider time) => new(time);

    private static SseFrameBuffer BuildStream(
        CompletionIdentity id,
        int contentFrames,
        TokenUsage usage,
        bool includeUsage)
    {
        string[] words = TakeWords(contentFrames);
        string[] deltas = [.. words.Select((word, i) => i == 0 ? word : " " + word)];
        return ChatPayloads.BuildStream(id, deltas, "stop", 1, usage, includeUsage);
    }

    private static string[] TakeWords(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Vocabulary[i % Vocabulary.Length])];
}
