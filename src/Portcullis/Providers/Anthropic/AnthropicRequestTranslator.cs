using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Turns an OpenAI chat-completions request body into an Anthropic Messages API body. Fields Anthropic has no
/// counterpart for are dropped; anything that would change the answer's meaning if dropped is refused instead.
/// </summary>
internal static class AnthropicRequestTranslator
{
    /// <summary>
    /// Translates <paramref name="openAiBody"/> for <paramref name="model"/>. Anthropic requires <c>max_tokens</c>,
    /// so <paramref name="defaultMaxTokens"/> is used when the client set neither <c>max_tokens</c> nor
    /// <c>max_completion_tokens</c>.
    /// </summary>
    /// <returns>The Messages API body, or null with <paramref name="problem"/> saying why it cannot be translated.</returns>
    public static byte[]? FromChatCompletion(
        ReadOnlySpan<byte> openAiBody, string model, int defaultMaxTokens, out string? problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(openAiBody.ToArray());
        }
        catch (JsonException)
        {
            problem = "The request body is not valid JSON.";
            return null;
        }

        using (document)
        {
            JsonObject? translated = Translate(document.RootElement, model, defaultMaxTokens, out problem);
            if (translated is null)
            {
                return null;
            }

            using var buffer = new MemoryStream(openAiBody.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                translated.WriteTo(writer);
            }

            return buffer.ToArray();
        }
    }

    private static JsonObject? Translate(JsonElement root, string model, int defaultMaxTokens, out string? problem)
    {
        problem = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "The request body must be a JSON object.";
            return null;
        }

        // 1. Refuse what Anthropic cannot do.
        if (root.TryGetProperty("n", out JsonElement n) && n.ValueKind == JsonValueKind.Number
            && (!n.TryGetInt32(out int choices) || choices > 1))
        {
            problem = "'n' greater than 1 is not supported by Anthropic models.";
            return null;
        }

        if (!root.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array
            || messages.GetArrayLength() == 0)
        {
            problem = "'messages' must be a non-empty array.";
            return null;
        }

        // 2. Messages: system text apart, the rest as alternating user/assistant turns.
        var system = new List<string>();
        var turns = new JsonArray();
        if (!TranslateMessages(messages, system, turns, out problem))
        {
            return null;
        }

        if (turns.Count == 0)
        {
            problem = "The request has no user or assistant messages.";
            return null;
        }

        // 3. The token limit Anthropic requires.
        int maxTokens = defaultMaxTokens;
        foreach (string name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out JsonElement limit) && limit.ValueKind != JsonValueKind.Null)
            {
                if (limit.ValueKind != JsonValueKind.Number || !limit.TryGetInt32(out maxTokens) || maxTokens < 1)
                {
                    problem = $"'{name}' must be a positive integer.";
                    return null;
                }

                break;
            }
        }

        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = maxTokens,
        };
        if (system.Count > 0)
        {
            body["system"] = string.Join("\n\n", system);
        }

        body["messages"] = turns;

        // 4. Sampling and stopping.
        if (!CopyStop(root, body, out problem))
        {
            return null;
        }

        // NOTE: OpenAI allows temperature up to 2 and Anthropic up to 1; the value is passed on unchanged so that
        // Anthropic's own error names the problem rather than the gateway silently changing the sampling.
        CopyNumber(root, body, "temperature", "temperature");
        CopyNumber(root, body, "top_p", "top_p");
        if (root.TryGetProperty("stream", out JsonElement stream)
            && stream.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            body["stream"] = stream.GetBoolean();
        }

        // 5. Tools and the choice among them.
        if (!CopyTools(root, body, out problem) || !CopyToolChoice(root, body, out problem))
        {
            return null;
        }

        if (root.TryGetProperty("user", out JsonElement user) && user.ValueKind == JsonValueKind.String)
        {
            body["metadata"] = new JsonObject { ["user_id"] = user.GetString() };
        }

        return body;
    }

    private static bool TranslateMessages(JsonElement messages, List<string> system, JsonArray turns, out string? problem)
    {
        problem = null;
        string? lastRole = null;
        JsonArray? lastBlocks = null;
        int position = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string where = $"messages[{position++}]";
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out JsonElement roleElement)
                || roleElement.ValueKind != JsonValueKind.String)
            {
                problem = $"{where} must be an object with a string 'role'.";
                return false;
            }

            string role = roleElement.GetString()!;
            JsonArray blocks = [];
            string anthropicRole;
            switch (role)
            {
                case "system" or "developer":
                    if (!ReadText(message, where, out string? text, out problem))
                    {
                        return false;
                    }

                    if (!string.IsNullOrEmpty(text))
                    {
                        system.Add(text);
                    }

                    continue;

                case "user":
                    anthropicRole = "user";
                    if (!AddContent(message, where, blocks, out problem))
                    {
                        return false;
                    }

                    break;

                case "assistant":
                    anthropicRole = "assistant";
                    if (!AddContent(message, where, blocks, out problem)
                        || !AddToolUses(message, where, blocks, out problem))
                    {
                        return false;
                    }

                    break;

                case "tool":
                    anthropicRole = "user";
                    if (!AddToolResult(message, where, blocks, out problem))
                    {
                        return false;
                    }

                    break;

                default:
                    problem = $"{where} has role '{role}', which cannot be sent to an Anthropic model.";
                    return false;
            }

            if (blocks.Count == 0)
            {
                continue;
            }

            // Anthropic needs user and assistant turns to alternate, so neighbours with the same role become one.
            if (anthropicRole == lastRole && lastBlocks is not null)
            {
                while (blocks.Count > 0)
                {
                    JsonNode? block = blocks[0];
                    blocks.RemoveAt(0);
                    lastBlocks.Add(block);
                }

                continue;
            }

            turns.Add(new JsonObject { ["role"] = anthropicRole, ["content"] = blocks });
            lastRole = anthropicRole;
            lastBlocks = blocks;
        }

        return true;
    }

    // Reads a message's content as plain text (a string, or text parts joined); used for system messages.
    private static bool ReadText(JsonElement message, string where, out string? text, out string? problem)
    {
        text = null;
        problem = null;
        if (!message.TryGetProperty("content", out JsonElement content) || content.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString();
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            problem = $"{where}.content must be a string or an array of parts.";
            return false;
        }

        var joined = new StringBuilder();
        foreach (JsonElement part in content.EnumerateArray())
        {
            if (TypeOf(part) != "text" || !part.TryGetProperty("text", out JsonElement partText)
                || partText.ValueKind != JsonValueKind.String)
            {
                problem = $"{where}.content may only hold text parts.";
                return false;
            }

            joined.Append(joined.Length > 0 ? "\n" : "").Append(partText.GetString());
        }

        text = joined.ToString();
        return true;
    }

    private static bool AddContent(JsonElement message, string where, JsonArray blocks, out string? problem)
    {
        problem = null;
        if (!message.TryGetProperty("content", out JsonElement content) || content.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            AddText(blocks, content.GetString());
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            problem = $"{where}.content must be a string or an array of parts.";
            return false;
        }

        int index = 0;
        foreach (JsonElement part in content.EnumerateArray())
        {
            string partWhere = $"{where}.content[{index++}]";
            switch (TypeOf(part))
            {
                case "text" when part.TryGetProperty("text", out JsonElement text) && text.ValueKind == JsonValueKind.String:
                    AddText(blocks, text.GetString());
                    break;

                case "refusal" when part.TryGetProperty("refusal", out JsonElement refusal)
                    && refusal.ValueKind == JsonValueKind.String:
                    AddText(blocks, refusal.GetString());
                    break;

                case "image_url":
                    JsonObject? image = ImageBlock(part, partWhere, out problem);
                    if (image is null)
                    {
                        return false;
                    }

                    blocks.Add(image);
                    break;

                default:
                    problem = $"{partWhere} has a type Anthropic models do not accept here.";
                    return false;
            }
        }

        return true;
    }

    private static JsonObject? ImageBlock(JsonElement part, string where, out string? problem)
    {
        problem = null;
        string? url = null;
        if (part.TryGetProperty("image_url", out JsonElement imageUrl))
        {
            if (imageUrl.ValueKind == JsonValueKind.String)
            {
                url = imageUrl.GetString();
            }
            else if (imageUrl.ValueKind == JsonValueKind.Object && imageUrl.TryGetProperty("url", out JsonElement inner)
                && inner.ValueKind == JsonValueKind.String)
            {
                url = inner.GetString();
            }
        }

        if (string.IsNullOrEmpty(url))
        {
            problem = $"{where}.image_url.url is missing.";
            return null;
        }

        JsonObject source;
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            // data:<media type>;base64,<data>
            int comma = url.IndexOf(',', StringComparison.Ordinal);
            string header = comma < 0 ? "" : url[5..comma];
            const string Base64Marker = ";base64";
            if (comma < 0 || !header.EndsWith(Base64Marker, StringComparison.OrdinalIgnoreCase)
                || header.Length == Base64Marker.Length)
            {
                problem = $"{where} has a data URL that is not base64 with a media type.";
                return null;
            }

            source = new JsonObject
            {
                ["type"] = "base64",
                ["media_type"] = header[..^Base64Marker.Length].ToLowerInvariant(),
                ["data"] = url[(comma + 1)..],
            };
        }
        else if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            source = new JsonObject { ["type"] = "url", ["url"] = url };
        }
        else
        {
            problem = $"{where} has an image URL that is neither a data URL nor http(s).";
            return null;
        }

        return new JsonObject { ["type"] = "image", ["source"] = source };
    }

    private static bool AddToolUses(JsonElement message, string where, JsonArray blocks, out string? problem)
    {
        problem = null;
        if (!message.TryGetProperty("tool_calls", out JsonElement calls) || calls.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (calls.ValueKind != JsonValueKind.Array)
        {
            problem = $"{where}.tool_calls must be an array.";
            return false;
        }

        int index = 0;
        foreach (JsonElement call in calls.EnumerateArray())
        {
            string callWhere = $"{where}.tool_calls[{index++}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id", out JsonElement id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function", out JsonElement function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
            {
                problem = $"{callWhere} needs an 'id' and a 'function' with a 'name'.";
                return false;
            }

            string arguments = function.TryGetProperty("arguments", out JsonElement args)
                && args.ValueKind == JsonValueKind.String ? args.GetString()! : "";
            JsonNode? input;
            try
            {
                input = string.IsNullOrWhiteSpace(arguments) ? new JsonObject() : JsonNode.Parse(arguments);
            }
            catch (JsonException)
            {
                input = null;
            }

            if (input is not JsonObject)
            {
                problem = $"{callWhere}.function.arguments is not a JSON object, so it cannot be sent as tool input.";
                return false;
            }

            blocks.Add(new JsonObject
            {
                ["type"] = "tool_use",
                ["id"] = id.GetString(),
                ["name"] = name.GetString(),
                ["input"] = input,
            });
        }

        return true;
    }

    private static bool AddToolResult(JsonElement message, string where, JsonArray blocks, out string? problem)
    {
        problem = null;
        if (!message.TryGetProperty("tool_call_id", out JsonElement id) || id.ValueKind != JsonValueKind.String)
        {
            problem = $"{where} is a tool message without a 'tool_call_id'.";
            return false;
        }

        var result = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id.GetString() };
        message.TryGetProperty("content", out JsonElement content);
        if (content.ValueKind == JsonValueKind.String)
        {
            result["content"] = content.GetString();
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            var parts = new JsonArray();
            if (!AddContent(message, where, parts, out problem))
            {
                return false;
            }

            result["content"] = parts;
        }
        else if (content.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            problem = $"{where}.content must be a string or an array of parts.";
            return false;
        }

        blocks.Add(result);
        return true;
    }

    private static bool CopyStop(JsonElement root, JsonObject body, out string? problem)
    {
        problem = null;
        if (!root.TryGetProperty("stop", out JsonElement stop) || stop.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        var sequences = new JsonArray();
        if (stop.ValueKind == JsonValueKind.String)
        {
            sequences.Add(stop.GetString());
        }
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement sequence in stop.EnumerateArray())
            {
                if (sequence.ValueKind != JsonValueKind.String)
                {
                    problem = "'stop' must be a string or an array of strings.";
                    return false;
                }

                sequences.Add(sequence.GetString());
            }
        }
        else
        {
            problem = "'stop' must be a string or an array of strings.";
            return false;
        }

        if (sequences.Count > 0)
        {
            body["stop_sequences"] = sequences;
        }

        return true;
    }

    private static bool CopyTools(JsonElement root, JsonObject body, out string? problem)
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

        var translated = new JsonArray();
        int index = 0;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            string where = $"tools[{index++}]";
            if (TypeOf(tool) != "function" || !tool.TryGetProperty("function", out JsonElement function)
                || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
            {
                problem = $"{where} must be a function tool with a name.";
                return false;
            }

            var entry = new JsonObject { ["name"] = name.GetString() };
            if (function.TryGetProperty("description", out JsonElement description)
                && description.ValueKind == JsonValueKind.String)
            {
                entry["description"] = description.GetString();
            }

            // Anthropic requires a schema; a function without parameters takes an empty object.
            entry["input_schema"] = function.TryGetProperty("parameters", out JsonElement parameters)
                && parameters.ValueKind == JsonValueKind.Object
                ? JsonNode.Parse(parameters.GetRawText())
                : new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
            translated.Add(entry);
        }

        if (translated.Count > 0)
        {
            body["tools"] = translated;
        }

        return true;
    }

    private static bool CopyToolChoice(JsonElement root, JsonObject body, out string? problem)
    {
        problem = null;
        JsonObject? choice = null;
        if (root.TryGetProperty("tool_choice", out JsonElement toolChoice))
        {
            switch (toolChoice.ValueKind)
            {
                case JsonValueKind.Null:
                    break;

                case JsonValueKind.String:
                    string? type = toolChoice.GetString() switch
                    {
                        "auto" => "auto",
                        "none" => "none",
                        "required" => "any",
                        _ => null,
                    };
                    if (type is null)
                    {
                        problem = "'tool_choice' must be \"auto\", \"none\", \"required\" or a named function.";
                        return false;
                    }

                    choice = new JsonObject { ["type"] = type };
                    break;

                case JsonValueKind.Object when TypeOf(toolChoice) == "function"
                    && toolChoice.TryGetProperty("function", out JsonElement function)
                    && function.ValueKind == JsonValueKind.Object
                    && function.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String:
                    choice = new JsonObject { ["type"] = "tool", ["name"] = name.GetString() };
                    break;

                default:
                    problem = "'tool_choice' must be \"auto\", \"none\", \"required\" or a named function.";
                    return false;
            }
        }

        // OpenAI's parallel_tool_calls:false is Anthropic's disable_parallel_tool_use on the choice.
        if (root.TryGetProperty("parallel_tool_calls", out JsonElement parallel) && parallel.ValueKind == JsonValueKind.False
            && body.ContainsKey("tools") && choice?["type"]?.GetValue<string>() != "none")
        {
            choice ??= new JsonObject { ["type"] = "auto" };
            choice["disable_parallel_tool_use"] = true;
        }

        if (choice is not null)
        {
            body["tool_choice"] = choice;
        }

        return true;
    }

    private static void CopyNumber(JsonElement root, JsonObject body, string from, string to)
    {
        if (root.TryGetProperty(from, out JsonElement value) && value.ValueKind == JsonValueKind.Number)
        {
            body[to] = JsonNode.Parse(value.GetRawText());
        }
    }

    private static void AddText(JsonArray blocks, string? text)
    {
        // Anthropic refuses empty text blocks; an empty string carries nothing anyway.
        if (!string.IsNullOrEmpty(text))
        {
            blocks.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        }
    }

    private static string? TypeOf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out JsonElement type)
            && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;
}
