using System.Text.Json;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Counts the input tokens of a request body before it is sent upstream, so a budget or token rate limit can reserve
/// them, and reads the output cap the request asks for. Reads the body once with <see cref="Utf8JsonReader"/>;
/// only tool definitions are parsed into a document. Never throws: a body it cannot follow counts its raw JSON.
/// </summary>
/// <remarks>
/// Chat follows OpenAI's published reckoning (3 tokens framing each message, 1 more for a name, 3 priming the reply,
/// every string of a message counted), which matches the API's own counts for gpt-4 and gpt-4o. The other formats use
/// the same framing where the provider publishes none.
/// </remarks>
internal static class PromptTokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensPerName = 1;
    private const int ReplyPrimingTokens = 3;

    // NOTE: OpenAI publishes no framing cost for a tool call in an assistant message; a message's framing stands in.
    private const int TokensPerToolCall = 3;

    // OpenAI prices an image by its size, which the gateway does not decode: 85 tokens at low detail, else the
    // documented cost of a 1024x1024 image at high detail (85 + 4 tiles x 170).
    // NOTE: larger images, and gpt-4o-mini's image rate, cost more; audio and file parts are counted as one image.
    private const int LowDetailImageTokens = 85;
    private const int ImageTokens = 765;

    // Anthropic: about width x height / 750 tokens, and images over about 1.15 megapixels are scaled down to stay
    // near 1,600. NOTE: a PDF document costs per page; it is counted as one image.
    private const int AnthropicImageTokens = 1600;

    // Anthropic adds a tool-use system prompt whenever tools are sent: 346 tokens on current models (tool_choice
    // auto or none; 313 for any or tool).
    private const int AnthropicToolSystemPromptTokens = 346;

    // OpenAI's default max_tokens for the legacy completions endpoint.

    // The same depth RequestBodyInspector accepts, so a body it let through is read here too.
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    /// <summary>
    /// The input tokens of <paramref name="requestBody"/> for <paramref name="operation"/> (<c>chat/completions</c>,
    /// <c>completions</c>, <c>embeddings</c>, or Anthropic's <c>messages</c>); any other operation counts the raw body.
    /// </summary>
    /// <param name="model">Picks the encoding (<see cref="TokenCounter.EncodingFor"/>); null means o200k_base.</param>
    public static int Count(string operation, string? model, ReadOnlySpan<byte> requestBody)
    {
        TokenEncoding encoding = TokenCounter.EncodingFor(model);
        var tally = new TokenTally(encoding);
        try
        {
            var reader = new Utf8JsonReader(requestBody, Options);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                bool known = true;
                switch (operation)
                {
                    case "chat/completions":
                        CountChat(requestBody, ref reader, ref tally);
                        break;
                    case "completions":
                        CountPrompt(requestBody, ref reader, ref tally, "prompt"u8);
                        break;
                    case "embeddings":
                        CountPrompt(requestBody, ref reader, ref tally, "input"u8);
                        break;
                    case "messages":
                        CountMessages(requestBody, ref reader, ref tally);
                        break;
                    default:
                        known = false;
                        break;
                }

                if (known)
                {
                    return tally.Total;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not the JSON it claimed to be after all: the raw text below is the count.
        }

        var raw = new TokenTally(encoding);
        raw.AddUtf8(requestBody);
        return raw.Total;
    }

    /// <summary>
    /// The output cap <paramref name="requestBody"/> asks for: chat reads the larger of <c>max_completion_tokens</c>
    /// and <c>max_tokens</c> (upstreams differ on which wins), times <c>n</c>; completions read <c>max_tokens</c> times
    /// the larger of <c>n</c> and <c>best_of</c>; messages read <c>max_tokens</c>; embeddings produce no output
    /// tokens (cap 0). An absent cap is null: the model's limit applies (also for completions, whose default of 16 a
    /// self-hosted server may not share). A count that is present but not a non-negative integer is a problem.
    /// </summary>
    public static OutputCap MaxOutputTokens(string operation, ReadOnlySpan<byte> requestBody)
    {
        if (operation == "embeddings")
        {
            return new OutputCap(0, 1);
        }

        int? maxCompletionTokens = null, maxTokens = null, n = null, bestOf = null;
        int prompts = 1;
        string? problem = null;
        try
        {
            var reader = new Utf8JsonReader(requestBody, Options);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("max_completion_tokens"u8))
                    {
                        maxCompletionTokens = ReadCount(ref reader, "max_completion_tokens", ref problem);
                    }
                    else if (reader.ValueTextEquals("max_tokens"u8))
                    {
                        maxTokens = ReadCount(ref reader, "max_tokens", ref problem);
                    }
                    else if (reader.ValueTextEquals("n"u8))
                    {
                        n = ReadCount(ref reader, "n", ref problem);
                    }
                    else if (reader.ValueTextEquals("best_of"u8))
                    {
                        bestOf = ReadCount(ref reader, "best_of", ref problem);
                    }
                    else if (reader.ValueTextEquals("prompt"u8))
                    {
                        prompts = CountPrompts(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Whatever was read before the fault stands.
        }

        int choices = Math.Max(1, n ?? 1);
        int? chatCap = maxCompletionTokens is { } a && maxTokens is { } b ? Math.Max(a, b) : maxCompletionTokens ?? maxTokens;
        return operation switch
        {
            // Every prompt of a batch gets its own answers.
            "completions" => new OutputCap(
                maxTokens, (int)Math.Min((long)Math.Max(choices, bestOf ?? 1) * prompts, int.MaxValue), problem),
            "messages" => new OutputCap(maxTokens, 1, problem),
            _ => new OutputCap(chatCap, choices, problem),
        };
    }

    // Chat: messages, tool (and older function) definitions, and a structured-output schema.
    private static void CountChat(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                CountChatMessages(body, ref reader, ref tally);
            }
            else if (reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("functions"u8))
            {
                reader.Read();
                using JsonDocument tools = JsonDocument.ParseValue(ref reader);
                ToolDefinitionTokens.Add(tools.RootElement, ref tally);
            }
            else if (reader.ValueTextEquals("response_format"u8))
            {
                // A JSON schema the answer must follow is shown to the model; text and json_object cost nothing.
                reader.Read();
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                ReadOnlySpan<byte> format = body[start..(int)reader.BytesConsumed];
                if (format.IndexOf("\"json_schema\""u8) >= 0)
                {
                    tally.AddUtf8(format);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void CountChatMessages(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            AddRaw(body, ref reader, ref tally);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            tally.AddFixed(TokensPerMessage);
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                CountChatMessage(body, ref reader, ref tally);
            }
            else
            {
                AddRaw(body, ref reader, ref tally);
            }
        }

        tally.AddFixed(ReplyPrimingTokens);
    }

    // Every string of a message counts (role, content, name, tool_call_id, refusal); content parts, tool calls and
    // the older function_call are counted by their text; anything else by its raw JSON.
    private static void CountChatMessage(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isName = reader.ValueTextEquals("name"u8);
            bool isContent = reader.ValueTextEquals("content"u8);
            bool isToolCalls = reader.ValueTextEquals("tool_calls"u8);
            bool isFunctionCall = reader.ValueTextEquals("function_call"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                tally.AddJsonString(ref reader);
                if (isName)
                {
                    tally.AddFixed(TokensPerName);
                }
            }
            else if (isContent && reader.TokenType == JsonTokenType.StartArray)
            {
                CountBlocks(body, ref reader, ref tally);
            }
            else if (isToolCalls && reader.TokenType == JsonTokenType.StartArray)
            {
                CountToolCalls(body, ref reader, ref tally);
            }
            else if (isFunctionCall && reader.TokenType == JsonTokenType.StartObject)
            {
                tally.AddFixed(TokensPerToolCall);
                CountStrings(body, ref reader, ref tally);
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                AddRaw(body, ref reader, ref tally);
            }
        }
    }

    // [{"id":..,"type":"function","function":{"name":..,"arguments":".."}}]: the name and arguments count.
    private static void CountToolCalls(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            tally.AddFixed(TokensPerToolCall);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                AddRaw(body, ref reader, ref tally);
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isCall = reader.ValueTextEquals("function"u8) || reader.ValueTextEquals("custom"u8);
                reader.Read();
                if (isCall && reader.TokenType == JsonTokenType.StartObject)
                {
                    CountStrings(body, ref reader, ref tally);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    // The strings of one object count as text, its other values as raw JSON.
    private static void CountStrings(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                tally.AddJsonString(ref reader);
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                AddRaw(body, ref reader, ref tally);
            }
        }
    }

    // Content parts (OpenAI) or content blocks (Anthropic): an array of objects, or of strings.
    private static void CountBlocks(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                tally.AddJsonString(ref reader);
            }
            else if (reader.TokenType == JsonTokenType.StartObject)
            {
                CountBlock(body, ref reader, ref tally);
            }
            else
            {
                AddRaw(body, ref reader, ref tally);
            }
        }
    }

    // One part or block, whatever order its fields come in: text, thinking, refusal and a tool's name count as text, a
    // tool_use input as raw JSON, a tool_result's content recursively, media as a fixed cost. A block with none of
    // these counts its raw JSON.
    private static void CountBlock(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        int start = (int)reader.TokenStartIndex;
        bool recognised = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("thinking"u8)
                || reader.ValueTextEquals("refusal"u8) || reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                AddTextOrRaw(body, ref reader, ref tally);
                recognised = true;
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                AddRaw(body, ref reader, ref tally);
                recognised = true;
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    CountBlocks(body, ref reader, ref tally);
                }
                else
                {
                    AddTextOrRaw(body, ref reader, ref tally);
                }

                recognised = true;
            }
            else if (reader.ValueTextEquals("image_url"u8))
            {
                reader.Read();
                tally.AddFixed(ImageCost(ref reader));
                recognised = true;
            }
            else if (reader.ValueTextEquals("input_audio"u8) || reader.ValueTextEquals("file"u8))
            {
                reader.Read();
                reader.Skip();
                tally.AddFixed(ImageTokens);
                recognised = true;
            }
            else if (reader.ValueTextEquals("source"u8))
            {
                reader.Read();
                reader.Skip();
                tally.AddFixed(AnthropicImageTokens);
                recognised = true;
            }
            else
            {
                // type, id, tool_use_id, cache_control, signature, citations: framing, not text.
                reader.Read();
                reader.Skip();
            }
        }

        if (!recognised)
        {
            tally.AddUtf8(body[start..(int)reader.BytesConsumed]);
        }
    }

    // {"url":..,"detail":"low"} costs the low-detail price; anything else (and a bare URL string) the full one.
    private static int ImageCost(ref Utf8JsonReader reader)
    {
        bool low = false;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isDetail = reader.ValueTextEquals("detail"u8);
                reader.Read();
                if (isDetail && reader.TokenType == JsonTokenType.String)
                {
                    low = reader.ValueTextEquals("low"u8);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else
        {
            reader.Skip();
        }

        return low ? LowDetailImageTokens : ImageTokens;
    }

    // Completions and embeddings: a string, an array of strings, token ids, or arrays of token ids.
    private static void CountPrompt(
        ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally, ReadOnlySpan<byte> field)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isPrompt = reader.ValueTextEquals(field) || reader.ValueTextEquals("suffix"u8);
            reader.Read();
            if (isPrompt)
            {
                CountPromptValue(body, ref reader, ref tally);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void CountPromptValue(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                tally.AddJsonString(ref reader);
                break;
            case JsonTokenType.Number:
                tally.AddFixed(1); // a token id
                break;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    CountPromptValue(body, ref reader, ref tally);
                }

                break;
            case JsonTokenType.Null:
                break;
            default:
                AddRaw(body, ref reader, ref tally);
                break;
        }
    }

    // Anthropic's Messages API: system (a string or text blocks), messages (string or block content), and tools.
    private static void CountMessages(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("system"u8))
            {
                reader.Read();
                CountContent(body, ref reader, ref tally);
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                CountAnthropicMessages(body, ref reader, ref tally);
            }
            else if (reader.ValueTextEquals("tools"u8))
            {
                reader.Read();
                CountAnthropicTools(body, ref reader, ref tally);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void CountAnthropicMessages(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            AddRaw(body, ref reader, ref tally);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            tally.AddFixed(TokensPerMessage);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                AddRaw(body, ref reader, ref tally);
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool counted = reader.ValueTextEquals("role"u8) || reader.ValueTextEquals("content"u8);
                reader.Read();
                if (counted)
                {
                    CountContent(body, ref reader, ref tally);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        tally.AddFixed(ReplyPrimingTokens);
    }

    // Each tool's name, description and input schema, and the tool-use system prompt once.
    private static void CountAnthropicTools(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            AddRaw(body, ref reader, ref tally);
            return;
        }

        bool any = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            any = true;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                AddRaw(body, ref reader, ref tally);
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isText = reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("description"u8);
                bool isSchema = reader.ValueTextEquals("input_schema"u8);
                reader.Read();
                if (isText)
                {
                    AddTextOrRaw(body, ref reader, ref tally);
                }
                else if (isSchema)
                {
                    AddRaw(body, ref reader, ref tally);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        if (any)
        {
            tally.AddFixed(AnthropicToolSystemPromptTokens);
        }
    }

    // A string, an array of blocks, or (odd) anything else counted raw.
    private static void CountContent(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            CountBlocks(body, ref reader, ref tally);
        }
        else
        {
            AddTextOrRaw(body, ref reader, ref tally);
        }
    }

    private static void AddTextOrRaw(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            tally.AddJsonString(ref reader);
        }
        else if (reader.TokenType != JsonTokenType.Null)
        {
            AddRaw(body, ref reader, ref tally);
        }
    }

    // The value the reader stands on, as the JSON text it was sent as.
    private static void AddRaw(ReadOnlySpan<byte> body, ref Utf8JsonReader reader, ref TokenTally tally)
    {
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        tally.AddUtf8(body[start..(int)reader.BytesConsumed]);
    }

    // A completions prompt: a string or one token array is one prompt; an array of strings or of token arrays is one
    // prompt per element.
    private static int CountPrompts(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 1;
        }

        int depth = reader.CurrentDepth;
        int elements = 0;
        bool batch = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.CurrentDepth == depth + 1 && reader.TokenType != JsonTokenType.EndArray)
            {
                elements++;
                batch |= reader.TokenType is JsonTokenType.String or JsonTokenType.StartArray;
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    reader.Skip();
                }
            }
        }

        return batch ? Math.Max(elements, 1) : 1;
    }

    private static int? ReadCount(ref Utf8JsonReader reader, string name, ref string? problem)
    {
        reader.Read();
        int? count = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) && value >= 0
            ? value
            : null;
        if (count is null && reader.TokenType != JsonTokenType.Null)
        {
            problem ??= $"{name} must be a non-negative integer.";
        }

        reader.Skip();
        return count;
    }
}
