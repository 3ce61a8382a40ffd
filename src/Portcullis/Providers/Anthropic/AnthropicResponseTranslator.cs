using System.Text;
using System.Text.Json;
using Portcullis.Usage;
using static Portcullis.Providers.Anthropic.JsonFields;

namespace Portcullis.Providers.Anthropic;

/// <summary>Turns Anthropic Messages API answers (a message, or an error) into OpenAI's chat-completions shapes.</summary>
internal static class AnthropicResponseTranslator
{
    /// <summary>
    /// Translates a complete Anthropic message into a <c>chat.completion</c> object, stamped with the current time.
    /// </summary>
    public static byte[] ToChatCompletion(ReadOnlySpan<byte> anthropicMessage, out TokenUsage usage) =>
        ToChatCompletion(anthropicMessage, TimeProvider.System, out usage);

    /// <summary>
    /// Translates a complete Anthropic message into a <c>chat.completion</c> object. Text blocks are joined into
    /// <c>message.content</c>, tool_use blocks become <c>tool_calls</c>, and thinking blocks are left out.
    /// <paramref name="usage"/> counts cached input in the prompt tokens, as OpenAI does.
    /// </summary>
    /// <exception cref="JsonException">The upstream body is not JSON.</exception>
    public static byte[] ToChatCompletion(ReadOnlySpan<byte> anthropicMessage, TimeProvider time, out TokenUsage usage)
    {
        using JsonDocument document = JsonDocument.Parse(anthropicMessage.ToArray());
        JsonElement root = document.RootElement;

        // 1. Gather text and tool calls from the content blocks.
        var text = new StringBuilder();
        var toolCalls = new List<JsonElement>();
        if (root.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement block in content.EnumerateArray())
            {
                switch (StringOf(block, "type"))
                {
                    case "text":
                        text.Append(StringOf(block, "text"));
                        break;
                    case "tool_use":
                        toolCalls.Add(block);
                        break;
                }
            }
        }

        usage = ReadUsage(root, out int cached);

        // 2. Write the chat.completion object.
        using var buffer = new MemoryStream(anthropicMessage.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", StringOf(root, "id") ?? "");
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", time.GetUtcNow().ToUnixTimeSeconds());
            writer.WriteString("model", StringOf(root, "model") ?? "");
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            if (text.Length > 0 || toolCalls.Count == 0)
            {
                writer.WriteString("content", text.ToString());
            }
            else
            {
                writer.WriteNull("content");
            }

            writer.WriteNull("refusal");
            if (toolCalls.Count > 0)
            {
                writer.WriteStartArray("tool_calls");
                foreach (JsonElement call in toolCalls)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id", StringOf(call, "id") ?? "");
                    writer.WriteString("type", "function");
                    writer.WriteStartObject("function");
                    writer.WriteString("name", StringOf(call, "name") ?? "");
                    writer.WriteString("arguments", call.TryGetProperty("input", out JsonElement input)
                        && input.ValueKind == JsonValueKind.Object ? input.GetRawText() : "{}");
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            WriteFinishReason(writer, StringOf(root, "stop_reason"));
            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteUsage(writer, usage, cached);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Translates an Anthropic error body into OpenAI's error shape, keeping Anthropic's error type (for example
    /// <c>overloaded_error</c>). A body that is not Anthropic's error JSON becomes a generic <c>upstream_error</c>.
    /// </summary>
    /// <param name="anthropicErrorBody">The upstream's error body, or the data of an <c>error</c> stream event.</param>
    /// <param name="message">Anthropic's error message, or null when the body did not carry one.</param>
    public static byte[] ToOpenAiError(ReadOnlySpan<byte> anthropicErrorBody, out string? message)
    {
        message = null;
        string? type = null;
        try
        {
            var reader = new Utf8JsonReader(anthropicErrorBody);
            if (JsonDocument.TryParseValue(ref reader, out JsonDocument? document))
            {
                using (document)
                {
                    JsonElement root = document.RootElement;
                    if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out JsonElement error)
                        && error.ValueKind == JsonValueKind.Object)
                    {
                        message = StringOf(error, "message");
                        type = StringOf(error, "type");
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (an HTML page from a proxy, say): the generic error below stands.
        }

        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message ?? "The Anthropic upstream returned an error without a readable body.");
            writer.WriteString("type", type ?? "upstream_error");
            writer.WriteNull("param");
            writer.WriteNull("code");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Maps Anthropic's <c>stop_reason</c> to OpenAI's <c>finish_reason</c>; null stays null.</summary>
    public static string? FinishReasonOf(string? stopReason) => stopReason switch
    {
        null => null,
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop", // end_turn, stop_sequence, pause_turn and anything newer
    };

    /// <summary>Writes OpenAI's <c>usage</c> object: prompt tokens include cache reads and cache writes.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage, int cachedTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", usage.PromptTokens ?? 0);
        writer.WriteNumber("completion_tokens", usage.CompletionTokens ?? 0);
        writer.WriteNumber("total_tokens", usage.TotalTokens ?? 0);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", cachedTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static TokenUsage ReadUsage(JsonElement root, out int cached)
    {
        cached = 0;
        if (!root.TryGetProperty("usage", out JsonElement usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        int? input = IntOf(usage, "input_tokens");
        int? output = IntOf(usage, "output_tokens");
        int? read = IntOf(usage, "cache_read_input_tokens");
        cached = read ?? 0;
        int written = IntOf(usage, "cache_creation_input_tokens") ?? 0;
        int? prompt = input is null && cached == 0 && written == 0 ? null : (input ?? 0) + cached + written;
        int? total = prompt is null && output is null ? null : (prompt ?? 0) + (output ?? 0);
        return new TokenUsage(prompt, output, total, read);
    }

    private static void WriteFinishReason(Utf8JsonWriter writer, string? stopReason)
    {
        string? finish = FinishReasonOf(stopReason);
        if (finish is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finish);
        }
    }

}
