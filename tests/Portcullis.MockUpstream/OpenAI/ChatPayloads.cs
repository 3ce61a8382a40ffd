using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Writes <c>chat.completion</c> objects and <c>chat.completion.chunk</c> streams in OpenAI's shape.</summary>
internal static class ChatPayloads
{
    private const string Fingerprint = "fp_m0ck0001";

    public static void WriteCompletion(
        Utf8JsonWriter w,
        CompletionIdentity id,
        string content,
        string finishReason,
        int choices,
        TokenUsage usage)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id.Id);
        w.WriteString("object"u8, "chat.completion"u8);
        w.WriteNumber("created"u8, id.Created);
        w.WriteString("model"u8, id.Model);
        w.WriteStartArray("choices"u8);
        for (int i = 0; i < choices; i++)
        {
            w.WriteStartObject();
            w.WriteNumber("index"u8, i);
            w.WriteStartObject("message"u8);
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("content"u8, content);
            w.WriteNull("refusal"u8);
            w.WriteStartArray("annotations"u8);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteNull("logprobs"u8);
            w.WriteString("finish_reason"u8, finishReason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WritePropertyName("usage"u8);
        WriteUsage(w, usage);
        w.WriteString("service_tier"u8, "default"u8);
        w.WriteString("system_fingerprint"u8, Fingerprint);
        w.WriteEndObject();
    }

    /// <summary>
    /// A whole stream: a role chunk per choice, one content chunk per delta per choice, a finish chunk per choice,
    /// the usage chunk when asked for, then <c>[DONE]</c>.
    /// </summary>
    public static SseFrameBuffer BuildStream(
        CompletionIdentity id,
        IReadOnlyList<string> deltas,
        string finishReason,
        int choices,
        TokenUsage usage,
        bool includeUsage)
    {
        var frames = new SseFrameBuffer();
        for (int i = 0; i < choices; i++)
        {
            WriteChunk(frames.BeginFrame(), id, i, ChunkKind.Role, null, includeUsage);
            frames.EndFrame();
        }

        foreach (string delta in deltas)
        {
            for (int i = 0; i < choices; i++)
            {
                WriteChunk(frames.BeginFrame(), id, i, ChunkKind.Content, delta, includeUsage);
                frames.EndFrame();
            }
        }

        for (int i = 0; i < choices; i++)
        {
            WriteChunk(frames.BeginFrame(), id, i, ChunkKind.Finish, finishReason, includeUsage);
            frames.EndFrame();
        }

        if (includeUsage)
        {
            WriteUsageChunk(frames.BeginFrame(), id, usage);
            frames.EndFrame();
        }

        frames.AddDone();
        return frames;
    }

    public static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject();
        w.WriteNumber("prompt_tokens"u8, usage.PromptTokens);
        w.WriteNumber("completion_tokens"u8, usage.CompletionTokens);
        w.WriteNumber("total_tokens"u8, usage.TotalTokens);
        w.WriteStartObject("prompt_tokens_details"u8);
        w.WriteNumber("cached_tokens"u8, 0);
        w.WriteNumber("audio_tokens"u8, 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details"u8);
        w.WriteNumber("reasoning_tokens"u8, 0);
        w.WriteNumber("audio_tokens"u8, 0);
        w.WriteNumber("accepted_prediction_tokens"u8, 0);
        w.WriteNumber("rejected_prediction_tokens"u8, 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <param name="text">The content delta, or the finish reason for a finish chunk.</param>
    private static void WriteChunk(
        Utf8JsonWriter w,
        CompletionIdentity id,
        int index,
        ChunkKind kind,
        string? text,
        bool usageNull)
    {
        WriteChunkHead(w, id);
        w.WriteStartArray("choices"u8);
        w.WriteStartObject();
        w.WriteNumber("index"u8, index);
        w.WriteStartObject("delta"u8);
        if (kind == ChunkKind.Role)
        {
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("content"u8, ""u8);
            w.WriteNull("refusal"u8);
        }
        else if (kind == ChunkKind.Content)
        {
            w.WriteString("content"u8, text);
        }

        w.WriteEndObject();
        w.WriteNull("logprobs"u8);
        if (kind == ChunkKind.Finish)
        {
            w.WriteString("finish_reason"u8, text);
        }
        else
        {
            w.WriteNull("finish_reason"u8);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        if (usageNull)
        {
            w.WriteNull("usage"u8);
        }

        w.WriteEndObject();
    }

    private static void WriteUsageChunk(Utf8JsonWriter w, CompletionIdentity id, TokenUsage usage)
    {
        WriteChunkHead(w, id);
        w.WriteStartArray("choices"u8);
        w.WriteEndArray();
        w.WritePropertyName("usage"u8);
        WriteUsage(w, usage);
        w.WriteEndObject();
    }

    private static void WriteChunkHead(Utf8JsonWriter w, CompletionIdentity id)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id.Id);
        w.WriteString("object"u8, "chat.completion.chunk"u8);
        w.WriteNumber("created"u8, id.Created);
        w.WriteString("model"u8, id.Model);
        w.WriteString("service_tier"u8, "default"u8);
        w.WriteString("system_fingerprint"u8, Fingerprint);
    }
}
