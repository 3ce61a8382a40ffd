using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Portcullis.Usage;
using static Portcullis.Providers.Anthropic.JsonFields;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Turns OpenAI chat-completions answers (a completion, or an error) into the Anthropic Messages API shapes, for a
/// client that called <c>/v1/messages</c> through a key whose upstream speaks OpenAI's format.
/// </summary>
internal static class MessagesToChatResponseTranslator
{
    /// <summary>
    /// Translates a complete <c>chat.completion</c> into an Anthropic message: the text as one text block, each tool
    /// call as a tool_use block whose input is the parsed arguments. Anthropic counts cached input apart, so
    /// <c>input_tokens</c> leaves out OpenAI's <c>cached_tokens</c>, which go to <c>cache_read_input_tokens</c>.
    /// </summary>
    /// <param name="model">The model name the client asked for, repeated in the message.</param>
    /// <param name="usage">Tokens as OpenAI counts them: prompt tokens include cached input.</param>
    /// <exception cref="JsonException">The upstream body is not JSON.</exception>
    public static byte[] Translate(ReadOnlySpan<byte> chatCompletion, string model, out TokenUsage usage)
    {
        using JsonDocument document = JsonDocument.Parse(chatCompletion.ToArray());
        JsonElement root = document.RootElement;

        // 1. Find the first choice's message.
        JsonElement choice = default;
        JsonElement message = default;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("choices", out JsonElement choices)
            && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            choice = choices[0];
            if (choice.ValueKind == JsonValueKind.Object)
            {
                choice.TryGetProperty("message", out message);
            }
        }

        string text = StringOf(message, "content") ?? StringOf(message, "refusal") ?? "";
        bool hasToolCalls = message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("tool_calls", out JsonElement toolCalls)
            && toolCalls.ValueKind == JsonValueKind.Array && toolCalls.GetArrayLength() > 0;
        usage = ReadUsage(root, out int cached);

        // 2. Write the message.
        using var buffer = new MemoryStream(chatCompletion.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", MessageIdOf(StringOf(root, "id")));
            writer.WriteString("type", "message");
            writer.WriteString("role", "assistant");
            writer.WriteString("model", model);
            writer.WriteStartArray("content");
            if (text.Length > 0)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "text");
                writer.WriteString("text", text);
                writer.WriteEndObject();
            }

            if (hasToolCalls)
            {
                foreach (JsonElement call in message.GetProperty("tool_calls").EnumerateArray())
                {
                    WriteToolUse(writer, call);
                }
            }

            writer.WriteEndArray();
            writer.WriteString("stop_reason", StopReasonOf(StringOf(choice, "finish_reason"), hasToolCalls));

            // NOTE: OpenAI does not say which stop sequence ended the answer, so stop_sequence is always null.
            writer.WriteNull("stop_sequence");
            WriteUsage(writer, usage, cached);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Translates an OpenAI-shaped error body into Anthropic's error shape, the error type chosen by
    /// <paramref name="status"/>. A body without a readable message gets a generic one naming the status.
    /// </summary>
    public static byte[] TranslateError(ReadOnlySpan<byte> openAiErrorBody, int status)
    {
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(openAiErrorBody);
            if (JsonDocument.TryParseValue(ref reader, out JsonDocument? document))
            {
                using (document)
                {
                    JsonElement root = document.RootElement;
                    message = root.ValueKind == JsonValueKind.Object
                        && root.TryGetProperty("error", out JsonElement error)
                        ? error.ValueKind == JsonValueKind.String ? error.GetString() : StringOf(error, "message")
                        : StringOf(root, "message");
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (an HTML page from a proxy, say): the generic message below stands.
        }

        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", ErrorTypeOf(status));
            writer.WriteString(
                "message", message ?? $"The upstream returned status {status} without a readable error.");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Maps an HTTP status to Anthropic's error type.</summary>
    public static string ErrorTypeOf(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    /// <summary>
    /// Maps OpenAI's <c>finish_reason</c> to Anthropic's <c>stop_reason</c>. Some OpenAI-compatible upstreams end a
    /// tool-calling answer with <c>stop</c>; an answer that holds tool calls is reported as <c>tool_use</c> then.
    /// </summary>
    public static string StopReasonOf(string? finishReason, bool hasToolCalls) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ when hasToolCalls => "tool_use",
        _ => "end_turn",
    };

    /// <summary>Gives a completion id the <c>msg_</c> prefix Anthropic's ids carry; a new id when absent.</summary>
    public static string MessageIdOf(string? completionId) =>
        string.IsNullOrEmpty(completionId) ? "msg_" + Guid.NewGuid().ToString("N")
        : completionId.StartsWith("msg_", StringComparison.Ordinal) ? completionId
        : "msg_" + completionId;

    /// <summary>Writes Anthropic's <c>usage</c> object from OpenAI's counts, cached input apart.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage, int cachedTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", Math.Max(0, (usage.PromptTokens ?? 0) - cachedTokens));
        writer.WriteNumber("output_tokens", usage.CompletionTokens ?? 0);
        if (cachedTokens > 0)
        {
            writer.WriteNumber("cache_read_input_tokens", cachedTokens);
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads OpenAI's <c>usage</c> object; <paramref name="cached"/> is its <c>cached_tokens</c>.</summary>
    public static TokenUsage ReadUsage(JsonElement root, out int cached)
    {
        cached = 0;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("usage", out JsonElement usage)
            || usage.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        int? cachedTokens = null;
        if (usage.TryGetProperty("prompt_tokens_details", out JsonElement details))
        {
            cachedTokens = IntOf(details, "cached_tokens");
            cached = cachedTokens ?? 0;
        }

        int? prompt = IntOf(usage, "prompt_tokens");
        int? completion = IntOf(usage, "completion_tokens");
        int? total = IntOf(usage, "total_tokens")
            ?? (prompt is null && completion is null ? null : (prompt ?? 0) + (completion ?? 0));
        return new TokenUsage(prompt, completion, total, cachedTokens);
    }

    // NOTE: arguments that are not a JSON object (a model's malformed output) cannot be an Anthropic input, which
    // must be an object; the tool_use block then gets an empty input.
    private static void WriteToolUse(Utf8JsonWriter writer, JsonElement call)
    {
        JsonElement function = call.ValueKind == JsonValueKind.Object
            && call.TryGetProperty("function", out JsonElement found) ? found : default;
        writer.WriteStartObject();
        writer.WriteString("type", "tool_use");
        writer.WriteString("id", StringOf(call, "id") ?? "toolu_" + Guid.NewGuid().ToString("N"));
        writer.WriteString("name", StringOf(function, "name") ?? "");
        writer.WritePropertyName("input");
        if (TryParseObject(StringOf(function, "arguments"), out JsonDocument? input))
        {
            using (input)
            {
                input.RootElement.WriteTo(writer);
            }
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static bool TryParseObject(string? json, [NotNullWhen(true)] out JsonDocument? document)
    {
        document = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            return false;
        }

        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return false;
        }

        if (document.RootElement.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        document.Dispose();
        document = null;
        return false;
    }

}
