using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// Writes legacy <c>text_completion</c> objects. Streamed chunks have the same shape as the whole object, as
/// OpenAI's legacy endpoint does.
/// </summary>
internal static class TextCompletionPayloads
{
    private const string Fingerprint = "fp_m0ck0001";

    public static void WriteCompletion(
        Utf8JsonWriter w,
        CompletionIdentity id,
        string text,
        string finishReason,
        int choices,
        TokenUsage usage)
    {
        WriteHead(w, id);
        w.WriteStartArray("choices"u8);
        for (int i = 0; i < choices; i++)
        {
            WriteChoice(w, i, text, finishReason);
        }

        w.WriteEndArray();
        w.WritePropertyName("usage"u8);
        WriteUsage(w, usage);
        w.WriteEndObject();
    }

    /// <summary>A chunk per delta per choice, a finish chunk per choice, the usage chunk if asked, [DONE].</summary>
    public static SseFrameBuffer BuildStream(
        CompletionIdentity id,
        IReadOnlyList<string> deltas,
        string finishReason,
        int choices,
        TokenUsage usage,
        bool includeUsage)
    {
        var frames = new SseFrameBuffer();
        foreach (string delta in deltas)
        {
            for (int i = 0; i < choices; i++)
            {
                WriteChunk(frames.BeginFrame(), id, i, delta, null, includeUsage);
                frames.EndFrame();
            }
        }

        for (int i = 0; i < choices; i++)
        {
            WriteChunk(frames.BeginFrame(), id, i, "", finishReason, includeUsage);
            frames.EndFrame();
        }

        if (includeUsage)
        {
            Utf8JsonWriter w = frames.BeginFrame();
            WriteHead(w, id);
            w.WriteStartArray("choices"u8);
            w.WriteEndArray();
            w.WritePropertyName("usage"u8);
            WriteUsage(w, usage);
            w.WriteEndObject();
            frames.EndFrame();
        }

        frames.AddDone();
        return frames;
    }

    private static void WriteChunk(
        Utf8JsonWriter w,
        CompletionIdentity id,
        int index,
        string text,
        string? finishReason,
        bool usageNull)
    {
        WriteHead(w, id);
        w.WriteStartArray("choices"u8);
        WriteChoice(w, index, text, finishReason);
        w.WriteEndArray();
        if (usageNull)
        {
            w.WriteNull("usage"u8);
        }

        w.WriteEndObject();
    }

    private static void WriteHead(Utf8JsonWriter w, CompletionIdentity id)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id.Id);
        w.WriteString("object"u8, "text_completion"u8);
        w.WriteNumber("created"u8, id.Created);
        w.WriteString("model"u8, id.Model);
        w.WriteString("system_fingerprint"u8, Fingerprint);
    }

    private static void WriteChoice(Utf8JsonWriter w, int index, string text, string? finishReason)
    {
        w.WriteStartObject();
        w.WriteString("text"u8, text);
        w.WriteNumber("index"u8, index);
        w.WriteNull("logprobs"u8);
        w.WriteString("finish_reason"u8, finishReason);
        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject();
        w.WriteNumber("prompt_tokens"u8, usage.PromptTokens);
        w.WriteNumber("completion_tokens"u8, usage.CompletionTokens);
        w.WriteNumber("total_tokens"u8, usage.TotalTokens);
        w.WriteEndObject();
    }
}
