using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Portcullis.Providers.Anthropic.JsonFields;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Turns an Anthropic Messages API request body into an OpenAI chat-completions body, for a client that speaks
/// Anthropic's format to a key whose upstream speaks OpenAI's. The whole history is kept: tool_use blocks become
/// <c>tool_calls</c> and tool_result blocks become <c>role:"tool"</c> messages. Fields with no counterpart that only
/// tune the answer (top_k, thinking, cache_control) are dropped; content that cannot be carried is refused.
/// </summary>
internal static class MessagesToChatRequestTranslator
{
    /// <summary>Translates <paramref name="messagesBody"/> for <paramref name="model"/>.</summary>
    /// <param name="stream">Whether the client asked for a streamed answer.</param>
    /// <returns>
    /// The chat-completions body, or null with <paramref name="problem"/> saying why it cannot be translated.
    /// </returns>
    public static byte[]? Translate(ReadOnlySpan<byte> messagesBody, string model, out bool stream, out string? problem)
    {
        stream = false;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(messagesBody.ToArray());
        }
        catch (JsonException)
        {
            problem = "The request body is not valid JSON.";
            return null;
        }

        using (document)
        {
            JsonObject? translated = Build(document.RootElement, model, out stream, out problem);
            if (translated is null)
            {
                return null;
            }

            using var buffer = new MemoryStream(messagesBody.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                translated.WriteTo(writer);
            }

            return buffer.ToArray();
        }
    }

    private static JsonObject? Build(JsonElement root, string model, out bool stream, out string? problem)
    {
        stream = false;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "The request body must be a JSON object.";
            return null;
        }

        if (!root.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array
            || messages.GetArrayLength() == 0)
        {
            problem = "'messages' must be a non-empty array.";
            return null;
        }

        // 1. The system prompt first, then every turn of the history.
        var chat = new JsonArray();
        if (!AddSystem(root, chat, out problem) || !AddMessages(messages, chat, out problem))
        {
            return null;
        }

        var body = new JsonObject { ["model"] = model, ["messages"] = chat };

        // 2. Limits, sampling and stopping.
        if (root.TryGetProperty("max_tokens", out JsonElement maxTokens) && maxTokens.ValueKind != JsonValueKind.Null)
        {
            if (maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt32(out int limit) || limit < 1)
            {
                problem = "'max_tokens' must be a positive integer.";
                return null;
            }

            body["max_tokens"] = limit;
        }

        if (root.TryGetProperty("stop_sequences", out JsonElement stop) && stop.ValueKind == JsonValueKind.Array
            && stop.GetArrayLength() > 0)
        {
            body["stop"] = Copy(stop);
        }

        foreach (string name in (ReadOnlySpan<string>)["temperature", "top_p"])
        {
            if (root.TryGetProperty(name, out JsonElement number) && number.ValueKind == JsonValueKind.Number)
            {
                body[name] = Copy(number);
            }
        }

        // 3. Tools and the choice among them.
        if (!AddTools(root, body, out problem) || !AddToolChoice(root, body, out problem))
        {
            return null;
        }

        // 4. Streaming, with the usage chunk the gateway needs to count tokens.
        if (root.TryGetProperty("stream", out JsonElement streamFlag) && streamFlag.ValueKind == JsonValueKind.True)
        {
            stream = true;
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (root.TryGetProperty("metadata", out JsonElement metadata) && metadata.ValueKind == JsonValueKind.Object
            && StringOf(metadata, "user_id") is { } user)
        {
            body["user"] = user;
        }

        return body;
    }

    private static bool AddSystem(JsonElement root, JsonArray chat, out string? problem)
    {
        problem = null;
        if (!root.TryGetProperty("system", out JsonElement system) || system.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        string? text;
        if (system.ValueKind == JsonValueKind.String)
        {
            text = system.GetString();
        }
        else if (system.ValueKind != JsonValueKind.Array || !TryJoinText(system, "\n\n", out text))
        {
            problem = "'system' must be a string or an array of text blocks.";
            return false;
        }

        if (!string.IsNullOrEmpty(text))
        {
            chat.Add(new JsonObject { ["role"] = "system", ["content"] = text });
        }

        return true;
    }

    private static bool AddMessages(JsonElement messages, JsonArray chat, out string? problem)
    {
        problem = null;
        int position = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string where = $"messages[{position++}]";
            string? role = message.ValueKind == JsonValueKind.Object ? StringOf(message, "role") : null;
            if (role is not ("user" or "assistant") || !message.TryGetProperty("content", out JsonElement content)
                || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                problem = $"{where} must have role 'user' or 'assistant' and a string or array 'content'.";
                return false;
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                chat.Add(new JsonObject { ["role"] = role, ["content"] = content.GetString() });
                continue;
            }

            bool added = role == "user"
                ? AddUserBlocks(content, where, chat, out problem)
                : AddAssistantBlocks(content, where, chat, out problem);
            if (!added)
            {
                return false;
            }
        }

        return true;
    }

    // A user turn: its tool results become tool messages first, then the rest of the turn one user message.
    private static bool AddUserBlocks(JsonElement content, string where, JsonArray chat, out string? problem)
    {
        problem = null;
        var parts = new JsonArray();
        int index = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            string blockWhere = $"{where}.content[{index++}]";
            switch (StringOf(block, "type"))
            {
                case "text" when StringOf(block, "text") is { } text:
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                    break;

                case "image":
                    JsonObject? image = ImagePart(block, blockWhere, out problem);
                    if (image is null)
                    {
                        return false;
                    }

                    parts.Add(image);
                    break;

                case "tool_result":
                    if (!AddToolResult(block, blockWhere, chat, parts, out problem))
                    {
                        return false;
                    }

                    break;

                default:
                    problem = $"{blockWhere} has a block type that cannot be sent to an OpenAI-compatible model.";
                    return false;
            }
        }

        if (parts.Count == 1 && parts[0]!["type"]!.GetValue<string>() == "text")
        {
            chat.Add(new JsonObject { ["role"] = "user", ["content"] = parts[0]!["text"]!.GetValue<string>() });
        }
        else if (parts.Count > 0)
        {
            chat.Add(new JsonObject { ["role"] = "user", ["content"] = parts });
        }

        return true;
    }

    // Tool messages carry text only, so images inside a tool result join the user message after the tool messages.
    // NOTE: OpenAI's tool message has no error flag; a tool_result's is_error is not carried.
    private static bool AddToolResult(
        JsonElement block, string where, JsonArray chat, JsonArray userParts, out string? problem)
    {
        problem = null;
        if (StringOf(block, "tool_use_id") is not { } id)
        {
            problem = $"{where} needs a string 'tool_use_id'.";
            return false;
        }

        var text = new StringBuilder();
        if (block.TryGetProperty("content", out JsonElement content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                text.Append(content.GetString());
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (JsonElement inner in content.EnumerateArray())
                {
                    string innerWhere = $"{where}.content[{index++}]";
                    string? type = StringOf(inner, "type");
                    if (type == "text" && StringOf(inner, "text") is { } piece)
                    {
                        text.Append(text.Length > 0 ? "\n" : "").Append(piece);
                    }
                    else if (type == "image" && ImagePart(inner, innerWhere, out problem) is { } image)
                    {
                        userParts.Add(image);
                    }
                    else
                    {
                        problem ??= $"{innerWhere} must be a text or image block.";
                        return false;
                    }
                }
            }
            else if (content.ValueKind != JsonValueKind.Null)
            {
                problem = $"{where}.content must be a string or an array of blocks.";
                return false;
            }
        }

        chat.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = text.ToString() });
        return true;
    }

    // An assistant turn: text joined into content, tool_use blocks as tool_calls.
    // NOTE: thinking and redacted_thinking blocks have no place in OpenAI's history and are left out.
    private static bool AddAssistantBlocks(JsonElement content, string where, JsonArray chat, out string? problem)
    {
        problem = null;
        var text = new StringBuilder();
        var toolCalls = new JsonArray();
        int index = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            string blockWhere = $"{where}.content[{index++}]";
            switch (StringOf(block, "type"))
            {
                case "text" when StringOf(block, "text") is { } piece:
                    text.Append(piece);
                    break;

                case "tool_use":
                    if (StringOf(block, "id") is not { } id || StringOf(block, "name") is not { } name)
                    {
                        problem = $"{blockWhere} needs a string 'id' and 'name'.";
                        return false;
                    }

                    string arguments = block.TryGetProperty("input", out JsonElement input)
                        && input.ValueKind == JsonValueKind.Object ? input.GetRawText() : "{}";
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = id,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = name, ["arguments"] = arguments },
                    });
                    break;

                case "thinking" or "redacted_thinking":
                    break;

                default:
                    problem = $"{blockWhere} has a block type that cannot be sent to an OpenAI-compatible model.";
                    return false;
            }
        }

        if (text.Length == 0 && toolCalls.Count == 0)
        {
            return true;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = text.Length > 0 ? text.ToString() : null };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        chat.Add(message);
        return true;
    }

    private static JsonObject? ImagePart(JsonElement block, string where, out string? problem)
    {
        problem = null;
        string? url = null;
        if (block.TryGetProperty("source", out JsonElement source) && source.ValueKind == JsonValueKind.Object)
        {
            url = StringOf(source, "type") switch
            {
                "base64" when StringOf(source, "media_type") is { } mediaType && StringOf(source, "data") is { } data =>
                    $"data:{mediaType};base64,{data}",
                "url" => StringOf(source, "url"),
                _ => null,
            };
        }

        if (url is null)
        {
            problem = $"{where} needs a base64 or url image source.";
            return null;
        }

        return new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } };
    }

    private static bool AddTools(JsonElement root, JsonObject body, out string? problem)
    {
        problem = null;
        if (!root.TryGetProperty("tools", out JsonElement tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            problem = "'tools' must be an array.";
            return false;
        }

        var functions = new JsonArray();
        int index = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            string where = $"tools[{index++}]";

            // Anthropic's server tools (bash, web search, ...) have a versioned type and no schema to pass on.
            if (StringOf(tool, "name") is not { } name || !tool.TryGetProperty("input_schema", out JsonElement schema)
                || schema.ValueKind != JsonValueKind.Object || StringOf(tool, "type") is { } type && type != "custom")
            {
                problem = $"{where} must be a custom tool with a 'name' and an object 'input_schema'.";
                return false;
            }

            var function = new JsonObject { ["name"] = name };
            if (StringOf(tool, "description") is { } description)
            {
                function["description"] = description;
            }

            function["parameters"] = Copy(schema);
            functions.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        body["tools"] = functions;
        return true;
    }

    private static bool AddToolChoice(JsonElement root, JsonObject body, out string? problem)
    {
        problem = null;
        if (!root.TryGetProperty("tool_choice", out JsonElement choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        JsonNode? translated = StringOf(choice, "type") switch
        {
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" when StringOf(choice, "name") is { } name => new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = name },
            },
            _ => null,
        };
        if (translated is null)
        {
            problem = "'tool_choice' must have type 'auto', 'any', 'none', or 'tool' with a 'name'.";
            return false;
        }

        body["tool_choice"] = translated;
        if (choice.TryGetProperty("disable_parallel_tool_use", out JsonElement single)
            && single.ValueKind == JsonValueKind.True)
        {
            body["parallel_tool_calls"] = false;
        }

        return true;
    }

    private static bool TryJoinText(JsonElement blocks, string separator, out string? text)
    {
        text = null;
        var joined = new StringBuilder();
        foreach (JsonElement block in blocks.EnumerateArray())
        {
            if (StringOf(block, "type") != "text" || StringOf(block, "text") is not { } piece)
            {
                return false;
            }

            joined.Append(joined.Length > 0 ? separator : "").Append(piece);
        }

        text = joined.ToString();
        return true;
    }

    private static JsonNode? Copy(JsonElement element) => JsonNode.Parse(element.GetRawText());

}
