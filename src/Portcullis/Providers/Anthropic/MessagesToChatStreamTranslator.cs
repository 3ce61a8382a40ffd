using Portcullis.Forwarding;
using System.Buffers;
using System.Text.Json;
using Portcullis.Usage;
using static Portcullis.Providers.Anthropic.JsonFields;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Turns the <c>chat.completion.chunk</c> objects of one OpenAI stream into Anthropic Messages server-sent events:
/// <c>message_start</c>, one text block per run of text, one tool_use block per tool call whose arguments arrive as
/// <c>input_json_delta</c> pieces, then <c>message_delta</c> and <c>message_stop</c>. Blocks are opened and closed
/// one at a time, as Anthropic does. One instance serves one stream; it is not thread-safe.
/// </summary>
/// <param name="model">The model name the client asked for, repeated in <c>message_start</c>.</param>
internal sealed class MessagesToChatStreamTranslator(string model) : ISseTranslator
{
    private readonly Dictionary<int, MessagesToChatToolBlock> _tools = [];
    private bool _started;
    private int _nextBlock;
    private bool _textOpen;
    private MessagesToChatToolBlock? _openTool;
    private string? _finishReason;
    private int? _promptTokens;
    private int? _completionTokens;
    private int? _totalTokens;
    private int _cachedTokens;
    private int? _cachedPromptTokens;

    /// <summary>Usage from the stream's usage chunk, counted as OpenAI does (cached input in the prompt).</summary>
    public TokenUsage Usage => new(_promptTokens, _completionTokens, _totalTokens, _cachedPromptTokens);

    /// <summary>True once a chunk carried a <c>finish_reason</c>: the answer is complete.</summary>
    public bool SawFinish { get; private set; }

    /// <summary>True once the upstream sent an error object mid-stream, passed on as an <c>error</c> event.</summary>
    public bool SawError { get; private set; }

    /// <summary>Translates one chunk (the JSON of one <c>data:</c> event, not <c>[DONE]</c>).</summary>
    /// <exception cref="JsonException">The chunk is not JSON.</exception>
    public void OnChunk(ReadOnlySpan<byte> chatChunkJson, IBufferWriter<byte> output)
    {
        using JsonDocument document = JsonDocument.Parse(chatChunkJson.ToArray());
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        // 1. An error in the middle of the stream ends the answer for the client.
        if (root.TryGetProperty("error", out JsonElement error))
        {
            SawError = true;
            int status = IntOf(error, "code") is int code and >= 400 and < 600 ? code : 500;
            WriteEvent(output, "error", MessagesToChatResponseTranslator.TranslateError(chatChunkJson, status));
            return;
        }

        EnsureStarted(output, StringOf(root, "id"));
        ReadUsage(root);

        // 2. The first choice's delta: text, then tool-call pieces.
        if (!root.TryGetProperty("choices", out JsonElement choices) || choices.ValueKind != JsonValueKind.Array
            || choices.GetArrayLength() == 0 || choices[0].ValueKind != JsonValueKind.Object)
        {
            return;
        }

        JsonElement choice = choices[0];
        if (choice.TryGetProperty("delta", out JsonElement delta) && delta.ValueKind == JsonValueKind.Object)
        {
            // NOTE: reasoning deltas (reasoning_content) would need signed thinking blocks and are left out.
            string? text = StringOf(delta, "content") ?? StringOf(delta, "refusal");
            if (!string.IsNullOrEmpty(text))
            {
                OnText(text, output);
            }

            if (delta.TryGetProperty("tool_calls", out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement call in calls.EnumerateArray())
                {
                    OnToolCall(call, output);
                }
            }
        }

        if (StringOf(choice, "finish_reason") is { } finish)
        {
            _finishReason = finish;
            SawFinish = true;
        }
    }

    /// <summary>
    /// Ends the client's stream: starts any tool call still waiting for its name, closes the open block, then writes
    /// <c>message_delta</c> (stop reason and output tokens, 0 when the upstream sent no usage) and
    /// <c>message_stop</c>. Call it only for a stream that reached <c>[DONE]</c>.
    /// </summary>
    public void Complete(IBufferWriter<byte> output)
    {
        EnsureStarted(output, null);
        foreach (MessagesToChatToolBlock tool in _tools.Values.Where(t => !t.Started).OrderBy(t => t.OpenAiIndex))
        {
            StartTool(tool, output);
        }

        CloseOpenBlock(output);
        string stopReason = MessagesToChatResponseTranslator.StopReasonOf(_finishReason, _tools.Count > 0);
        WriteEvent(output, "message_delta", writer =>
        {
            writer.WriteString("type", "message_delta");
            writer.WriteStartObject("delta");
            writer.WriteString("stop_reason", stopReason);
            writer.WriteNull("stop_sequence");
            writer.WriteEndObject();
            writer.WriteStartObject("usage");
            writer.WriteNumber("output_tokens", _completionTokens ?? 0);
            if (_promptTokens is int prompt)
            {
                // Anthropic's message_delta may repeat the input count; only here is it known for an OpenAI stream.
                writer.WriteNumber("input_tokens", Math.Max(0, prompt - _cachedTokens));
                if (_cachedTokens > 0)
                {
                    writer.WriteNumber("cache_read_input_tokens", _cachedTokens);
                }
            }

            writer.WriteEndObject();
        });
        WriteEvent(output, "message_stop", static writer => writer.WriteString("type", "message_stop"));
    }

    private void EnsureStarted(IBufferWriter<byte> output, string? completionId)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        string id = MessagesToChatResponseTranslator.MessageIdOf(completionId);
        WriteEvent(output, "message_start", writer =>
        {
            writer.WriteString("type", "message_start");
            writer.WriteStartObject("message");
            writer.WriteString("id", id);
            writer.WriteString("type", "message");
            writer.WriteString("role", "assistant");
            writer.WriteString("model", model);
            writer.WriteStartArray("content");
            writer.WriteEndArray();
            writer.WriteNull("stop_reason");
            writer.WriteNull("stop_sequence");

            // OpenAI reports usage only at the end; message_delta carries it.
            writer.WriteStartObject("usage");
            writer.WriteNumber("input_tokens", 0);
            writer.WriteNumber("output_tokens", 0);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    private void OnText(string text, IBufferWriter<byte> output)
    {
        if (!_textOpen)
        {
            CloseOpenBlock(output);
            _textOpen = true;
            WriteEvent(output, "content_block_start", writer =>
            {
                writer.WriteString("type", "content_block_start");
                writer.WriteNumber("index", _nextBlock);
                writer.WriteStartObject("content_block");
                writer.WriteString("type", "text");
                writer.WriteString("text", "");
                writer.WriteEndObject();
            });
        }

        int index = _nextBlock;
        WriteEvent(output, "content_block_delta", writer =>
        {
            writer.WriteString("type", "content_block_delta");
            writer.WriteNumber("index", index);
            writer.WriteStartObject("delta");
            writer.WriteString("type", "text_delta");
            writer.WriteString("text", text);
            writer.WriteEndObject();
        });
    }

    // A tool call's block starts once its name is known; argument pieces that came earlier wait for it.
    private void OnToolCall(JsonElement call, IBufferWriter<byte> output)
    {
        int openAiIndex = IntOf(call, "index") ?? 0;
        if (!_tools.TryGetValue(openAiIndex, out MessagesToChatToolBlock? tool))
        {
            tool = new MessagesToChatToolBlock(openAiIndex);
            _tools[openAiIndex] = tool;
        }

        JsonElement function = call.TryGetProperty("function", out JsonElement found) ? found : default;
        if (StringOf(call, "id") is { Length: > 0 } id)
        {
            tool.Id ??= id;
        }

        if (StringOf(function, "name") is { Length: > 0 } name)
        {
            tool.Name ??= name;
        }

        string? piece = StringOf(function, "arguments");
        if (tool.Closed)
        {
            // NOTE: an upstream that goes back to a tool call after starting the next one (interleaved pieces) cannot
            // be followed: Anthropic's block is already closed, so the late piece is left out.
            return;
        }

        if (!tool.Started)
        {
            tool.PendingArguments.Append(piece);
            if (tool.Name is not null)
            {
                StartTool(tool, output);
            }

            return;
        }

        if (!string.IsNullOrEmpty(piece))
        {
            WriteArguments(output, tool.BlockIndex, piece);
        }
    }

    private void StartTool(MessagesToChatToolBlock tool, IBufferWriter<byte> output)
    {
        CloseOpenBlock(output);
        tool.BlockIndex = _nextBlock;
        _openTool = tool;
        string id = tool.Id ?? $"call_{tool.OpenAiIndex}";
        string name = tool.Name ?? "";
        WriteEvent(output, "content_block_start", writer =>
        {
            writer.WriteString("type", "content_block_start");
            writer.WriteNumber("index", tool.BlockIndex);
            writer.WriteStartObject("content_block");
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", id);
            writer.WriteString("name", name);
            writer.WriteStartObject("input");
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

        if (tool.PendingArguments.Length > 0)
        {
            WriteArguments(output, tool.BlockIndex, tool.PendingArguments.ToString());
            tool.PendingArguments.Clear();
        }
    }

    private void CloseOpenBlock(IBufferWriter<byte> output)
    {
        if (!_textOpen && _openTool is null)
        {
            return;
        }

        if (_openTool is not null)
        {
            _openTool.Closed = true;
            _openTool = null;
        }

        _textOpen = false;
        int index = _nextBlock++;
        WriteEvent(output, "content_block_stop", writer =>
        {
            writer.WriteString("type", "content_block_stop");
            writer.WriteNumber("index", index);
        });
    }

    private void ReadUsage(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out JsonElement usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        TokenUsage read = MessagesToChatResponseTranslator.ReadUsage(root, out int cached);
        _promptTokens = read.PromptTokens ?? _promptTokens;
        _completionTokens = read.CompletionTokens ?? _completionTokens;
        _totalTokens = read.TotalTokens ?? _totalTokens;
        _cachedTokens = cached > 0 ? cached : _cachedTokens;
        _cachedPromptTokens = read.CachedPromptTokens ?? _cachedPromptTokens;
    }

    private static void WriteArguments(IBufferWriter<byte> output, int blockIndex, string piece) =>
        WriteEvent(output, "content_block_delta", writer =>
        {
            writer.WriteString("type", "content_block_delta");
            writer.WriteNumber("index", blockIndex);
            writer.WriteStartObject("delta");
            writer.WriteString("type", "input_json_delta");
            writer.WriteString("partial_json", piece);
            writer.WriteEndObject();
        });

    // Writes one "event: name\ndata: {...}\n\n" frame; writeBody fills the data object.
    private static void WriteEvent(IBufferWriter<byte> output, string name, Action<Utf8JsonWriter> writeBody)
    {
        WriteEventHead(output, name);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writeBody(writer);
            writer.WriteEndObject();
        }

        output.Write("\n\n"u8);
    }

    private static void WriteEvent(IBufferWriter<byte> output, string name, ReadOnlySpan<byte> json)
    {
        WriteEventHead(output, name);
        output.Write(json);
        output.Write("\n\n"u8);
    }

    private static void WriteEventHead(IBufferWriter<byte> output, string name)
    {
        output.Write("event: "u8);
        output.Write(System.Text.Encoding.UTF8.GetBytes(name));
        output.Write("\ndata: "u8);
    }

    /// <summary>An OpenAI stream names no events and ends with <c>data: [DONE]</c>.</summary>
    bool ISseTranslator.OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        data = data.Trim(" \t"u8);
        if (data.SequenceEqual("[DONE]"u8))
        {
            return true;
        }

        if (!data.IsEmpty)
        {
            OnChunk(data, output);
        }

        return false;
    }
}
