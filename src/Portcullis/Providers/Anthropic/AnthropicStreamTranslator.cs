using Portcullis.Forwarding;
using System.Buffers;
using System.Text.Json;
using Portcullis.Usage;
using static Portcullis.Providers.Anthropic.JsonFields;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Turns the events of one Anthropic Messages stream into OpenAI <c>chat.completion.chunk</c> server-sent events.
/// One instance serves one stream; it is not thread-safe.
/// </summary>
internal sealed class AnthropicStreamTranslator : ISseTranslator
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    private readonly string _model;
    private readonly bool _includeUsage;
    private readonly long _created;
    private readonly Dictionary<int, AnthropicStreamToolBlock> _toolBlocks = [];
    private string _id = "";
    private bool _roleSent;
    private int _nextToolIndex;
    private int? _inputTokens;
    private int? _cacheReadTokens;
    private int _cacheWriteTokens;
    private int? _outputTokens;

    /// <summary>Creates a translator whose chunks name <paramref name="model"/> and carry the current time.</summary>
    /// <param name="model">The model name the client asked for, repeated in every chunk.</param>
    /// <param name="includeUsage">Whether the client asked for the usage-only chunk before <c>[DONE]</c>.</param>
    public AnthropicStreamTranslator(string model, bool includeUsage)
        : this(model, includeUsage, TimeProvider.System)
    {
    }

    /// <summary>Creates a translator whose chunks carry the creation time read from <paramref name="time"/>.</summary>
    public AnthropicStreamTranslator(string model, bool includeUsage, TimeProvider time)
    {
        _model = model;
        _includeUsage = includeUsage;
        _created = time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>
    /// Usage so far: prompt tokens (input plus cache reads and writes) from <c>message_start</c>, completion tokens
    /// from the last <c>message_delta</c>, whose count is cumulative; cache reads are also the cached prompt tokens.
    /// </summary>
    public TokenUsage Usage
    {
        get
        {
            int cacheRead = _cacheReadTokens ?? 0;
            int? prompt = _inputTokens is null && cacheRead == 0 && _cacheWriteTokens == 0
                ? null
                : (_inputTokens ?? 0) + cacheRead + _cacheWriteTokens;
            int? total = prompt is null && _outputTokens is null ? null : (prompt ?? 0) + (_outputTokens ?? 0);
            return new TokenUsage(prompt, _outputTokens, total, _cacheReadTokens);
        }
    }

    /// <summary>True once the upstream's <c>message_stop</c> arrived: the answer is complete.</summary>
    public bool SawMessageStop { get; private set; }

    /// <summary>True once the upstream sent an <c>error</c> event, passed on to the client as an error frame.</summary>
    public bool SawError { get; private set; }

    /// <summary>
    /// Translates one event. The event's type is read from its data's <c>type</c>, falling back to
    /// <paramref name="eventName"/>; events this gateway does not translate (ping, thinking deltas) write nothing.
    /// </summary>
    /// <exception cref="JsonException">The event's data is not JSON.</exception>
    public void OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (data.IsEmpty)
        {
            return;
        }

        using JsonDocument document = JsonDocument.Parse(data.ToArray());
        JsonElement root = document.RootElement;
        string? type = StringOf(root, "type") ?? eventName;
        switch (type)
        {
            case "message_start":
                OnMessageStart(root, output);
                break;
            case "content_block_start":
                OnBlockStart(root, output);
                break;
            case "content_block_delta":
                OnBlockDelta(root, output);
                break;
            case "content_block_stop":
                OnBlockStop(root, output);
                break;
            case "message_delta":
                OnMessageDelta(root, output);
                break;
            case "message_stop":
                SawMessageStop = true;
                break;
            case "error":
                SawError = true;
                Frame(output, AnthropicResponseTranslator.ToOpenAiError(data, out _));
                break;
        }
    }

    /// <summary>
    /// Ends the client's stream: the usage-only chunk (<c>"choices":[]</c>) when the client asked for usage, then
    /// <c>[DONE]</c>. Call it only for a stream that completed.
    /// </summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_includeUsage)
        {
            WriteUsageChunk(output);
        }

        output.Write("data: [DONE]\n\n"u8);
    }

    private void OnMessageStart(JsonElement root, IBufferWriter<byte> output)
    {
        if (root.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.Object)
        {
            _id = StringOf(message, "id") ?? _id;
            if (message.TryGetProperty("usage", out JsonElement usage))
            {
                ReadUsage(usage);
            }
        }

        EnsureRole(output);
    }

    private void OnBlockStart(JsonElement root, IBufferWriter<byte> output)
    {
        EnsureRole(output);
        if (!root.TryGetProperty("content_block", out JsonElement block))
        {
            return;
        }

        string? type = StringOf(block, "type");
        if (type == "text")
        {
            string? text = StringOf(block, "text");
            if (!string.IsNullOrEmpty(text))
            {
                WriteContent(output, text);
            }
        }
        else if (type == "tool_use")
        {
            // OpenAI numbers tool calls from 0 among tool calls only; Anthropic's index counts every block.
            var tool = new AnthropicStreamToolBlock(_nextToolIndex++);
            if (block.TryGetProperty("input", out JsonElement input) && input.ValueKind == JsonValueKind.Object
                && input.EnumerateObject().Any())
            {
                tool.InitialInput = input.GetRawText();
            }

            _toolBlocks[IndexOf(root)] = tool;
            string id = StringOf(block, "id") ?? "";
            string name = StringOf(block, "name") ?? "";
            WriteChunk(output, null, writer =>
            {
                writer.WriteStartArray("tool_calls");
                writer.WriteStartObject();
                writer.WriteNumber("index", tool.OpenAiIndex);
                writer.WriteString("id", id);
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", name);
                writer.WriteString("arguments", "");
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndArray();
            });
        }
    }

    private void OnBlockDelta(JsonElement root, IBufferWriter<byte> output)
    {
        if (!root.TryGetProperty("delta", out JsonElement delta))
        {
            return;
        }

        // NOTE: thinking, signature and citations deltas have no place in OpenAI's chunk and are left out.
        switch (StringOf(delta, "type"))
        {
            case "text_delta":
                string? text = StringOf(delta, "text");
                if (!string.IsNullOrEmpty(text))
                {
                    EnsureRole(output);
                    WriteContent(output, text);
                }

                break;

            case "input_json_delta" when _toolBlocks.TryGetValue(IndexOf(root), out AnthropicStreamToolBlock? tool):
                string? piece = StringOf(delta, "partial_json");
                tool.SawDelta = true;
                if (!string.IsNullOrEmpty(piece))
                {
                    WriteArguments(output, tool.OpenAiIndex, piece);
                }

                break;
        }
    }

    private void OnBlockStop(JsonElement root, IBufferWriter<byte> output)
    {
        // A tool_use block that arrived with its input already filled in and no deltas still owes its arguments.
        if (_toolBlocks.TryGetValue(IndexOf(root), out AnthropicStreamToolBlock? tool)
            && !tool.SawDelta && tool.InitialInput is not null)
        {
            WriteArguments(output, tool.OpenAiIndex, tool.InitialInput);
        }
    }

    private void OnMessageDelta(JsonElement root, IBufferWriter<byte> output)
    {
        if (root.TryGetProperty("usage", out JsonElement usage))
        {
            ReadUsage(usage);
        }

        string? stopReason = root.TryGetProperty("delta", out JsonElement delta) ? StringOf(delta, "stop_reason") : null;
        string? finish = AnthropicResponseTranslator.FinishReasonOf(stopReason);
        if (finish is not null)
        {
            EnsureRole(output);
            WriteChunk(output, finish, null);
        }
    }

    // Usage counts in Anthropic's stream are totals so far, so every value seen replaces the one before.
    private void ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        _inputTokens = IntOf(usage, "input_tokens") ?? _inputTokens;
        _cacheReadTokens = IntOf(usage, "cache_read_input_tokens") ?? _cacheReadTokens;
        _cacheWriteTokens = IntOf(usage, "cache_creation_input_tokens") ?? _cacheWriteTokens;
        _outputTokens = IntOf(usage, "output_tokens") ?? _outputTokens;
    }

    private void EnsureRole(IBufferWriter<byte> output)
    {
        if (_roleSent)
        {
            return;
        }

        _roleSent = true;
        WriteChunk(output, null, static writer =>
        {
            writer.WriteString("role", "assistant");
            writer.WriteString("content", "");
        });
    }

    private void WriteContent(IBufferWriter<byte> output, string text) =>
        WriteChunk(output, null, writer => writer.WriteString("content", text));

    private void WriteArguments(IBufferWriter<byte> output, int toolIndex, string arguments) =>
        WriteChunk(output, null, writer =>
        {
            writer.WriteStartArray("tool_calls");
            writer.WriteStartObject();
            writer.WriteNumber("index", toolIndex);
            writer.WriteStartObject("function");
            writer.WriteString("arguments", arguments);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
        });

    // Writes one "data: {chunk}\n\n" frame with a single choice; writeDelta fills its delta object.
    private void WriteChunk(IBufferWriter<byte> output, string? finishReason, Action<Utf8JsonWriter>? writeDelta)
    {
        output.Write(DataPrefix);
        using (var writer = new Utf8JsonWriter(output))
        {
            WriteChunkHeader(writer);
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("delta");
            writeDelta?.Invoke(writer);
            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            if (finishReason is null)
            {
                writer.WriteNull("finish_reason");
            }
            else
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.Write(EventEnd);
    }

    // Writes the chunk OpenAI sends last when asked for usage: no choices, only the usage of the whole stream.
    private void WriteUsageChunk(IBufferWriter<byte> output)
    {
        output.Write(DataPrefix);
        using (var writer = new Utf8JsonWriter(output))
        {
            WriteChunkHeader(writer);
            writer.WriteEndArray();
            AnthropicResponseTranslator.WriteUsage(writer, Usage, _cacheReadTokens ?? 0);
            writer.WriteEndObject();
        }

        output.Write(EventEnd);
    }

    // Opens the chunk object and its choices array.
    private void WriteChunkHeader(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("id", _id);
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", _created);
        writer.WriteString("model", _model);
        writer.WriteStartArray("choices");
    }

    private static void Frame(IBufferWriter<byte> output, ReadOnlySpan<byte> json)
    {
        output.Write(DataPrefix);
        output.Write(json);
        output.Write(EventEnd);
    }

    private static int IndexOf(JsonElement root) => IntOf(root, "index") ?? 0;

    /// <summary>An Anthropic stream ends with <c>message_stop</c>.</summary>
    bool ISseTranslator.OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        OnEvent(eventName, data, output);
        return SawMessageStop;
    }
}
