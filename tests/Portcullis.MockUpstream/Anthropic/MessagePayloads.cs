using System.Text.Json;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>The JSON of a message answer and of its event stream.</summary>
internal static class MessagePayloads
{
    /// <summary>The whole message object of a non-streaming answer.</summary>
    public static void WriteMessage(Utf8JsonWriter w, string id, string model, MessageReply reply, int inputTokens)
    {
        w.WriteStartObject();
        WriteHead(w, id, model);
        w.WriteStartArray("content"u8);
        WriteBlock(w, reply, whole: true);
        w.WriteEndArray();
        w.WriteString("stop_reason"u8, reply.StopReason);
        w.WriteString("stop_sequence"u8, reply.StopSequence);
        WriteUsage(w, inputTokens, reply.OutputTokens);
        w.WriteEndObject();
    }

    /// <summary>
    /// message_start, content_block_start, ping, one content_block_delta per piece, content_block_stop,
    /// message_delta (stop reason and cumulative output tokens), message_stop.
    /// </summary>
    public static EventStreamBuffer BuildStream(string id, string model, MessageReply reply, int inputTokens)
    {
        var events = new EventStreamBuffer();

        // 1. The message with no content yet; output so far is one token, as Anthropic reports it.
        Utf8JsonWriter w = events.BeginEvent("message_start"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_start"u8);
        w.WriteStartObject("message"u8);
        WriteHead(w, id, model);
        w.WriteStartArray("content"u8);
        w.WriteEndArray();
        w.WriteNull("stop_reason"u8);
        w.WriteNull("stop_sequence"u8);
        WriteUsage(w, inputTokens, 1);
        w.WriteEndObject();
        w.WriteEndObject();
        events.EndEvent();

        // 2. The one content block, opened empty.
        w = events.BeginEvent("content_block_start"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "content_block_start"u8);
        w.WriteNumber("index"u8, 0);
        w.WritePropertyName("content_block"u8);
        WriteBlock(w, reply, whole: false);
        w.WriteEndObject();
        events.EndEvent();

        w = events.BeginEvent("ping"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "ping"u8);
        w.WriteEndObject();
        events.EndEvent();

        // 3. Its pieces: text deltas, or the tool input as partial JSON.
        foreach (string piece in reply.Deltas)
        {
            w = events.BeginEvent("content_block_delta"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_delta"u8);
            w.WriteNumber("index"u8, 0);
            w.WriteStartObject("delta"u8);
            if (reply.Tool is null)
            {
                w.WriteString("type"u8, "text_delta"u8);
                w.WriteString("text"u8, piece);
            }
            else
            {
                w.WriteString("type"u8, "input_json_delta"u8);
                w.WriteString("partial_json"u8, piece);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            events.EndEvent();
        }

        w = events.BeginEvent("content_block_stop"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "content_block_stop"u8);
        w.WriteNumber("index"u8, 0);
        w.WriteEndObject();
        events.EndEvent();

        // 4. How it ended, then the end.
        w = events.BeginEvent("message_delta"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_delta"u8);
        w.WriteStartObject("delta"u8);
        w.WriteString("stop_reason"u8, reply.StopReason);
        w.WriteString("stop_sequence"u8, reply.StopSequence);
        w.WriteEndObject();
        w.WriteStartObject("usage"u8);
        w.WriteNumber("output_tokens"u8, reply.OutputTokens);
        w.WriteEndObject();
        w.WriteEndObject();
        events.EndEvent();

        w = events.BeginEvent("message_stop"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_stop"u8);
        w.WriteEndObject();
        events.EndEvent();
        return events;
    }

    private static void WriteHead(Utf8JsonWriter w, string id, string model)
    {
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, model);
    }

    /// <summary>The content block; <paramref name="whole"/> false writes it as a stream opens it (empty).</summary>
    private static void WriteBlock(Utf8JsonWriter w, MessageReply reply, bool whole)
    {
        w.WriteStartObject();
        if (reply.Tool is { } tool)
        {
            w.WriteString("type"u8, "tool_use"u8);
            w.WriteString("id"u8, reply.ToolUseId);
            w.WriteString("name"u8, tool.Name);
            w.WritePropertyName("input"u8);
            w.WriteRawValue(whole ? tool.InputJson : "{}", skipInputValidation: true);
        }
        else
        {
            w.WriteString("type"u8, "text"u8);
            w.WriteString("text"u8, whole ? reply.Text : "");
        }

        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, int inputTokens, int outputTokens)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, inputTokens);
        w.WriteNumber("cache_creation_input_tokens"u8, 0);
        w.WriteNumber("cache_read_input_tokens"u8, 0);
        w.WriteNumber("output_tokens"u8, outputTokens);
        w.WriteEndObject();
    }
}
