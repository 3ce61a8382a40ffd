using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The parts of a validated <c>POST /v1/chat/completions</c> body the mock's answer depends on.</summary>
/// <param name="Model">Echoed in the answer.</param>
/// <param name="PromptTokens">Deterministic estimate: message text length (UTF-8 bytes) / 4 + 8 per message.</param>
/// <param name="Stream">Whether to answer as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk.</param>
/// <param name="Choices">The <c>n</c> parameter (default 1).</param>
/// <param name="MaxTokens"><c>max_completion_tokens</c>, else <c>max_tokens</c>; null when neither is set.</param>
internal sealed record ChatCompletionRequest(
    string Model,
    int PromptTokens,
    bool Stream,
    bool IncludeUsage,
    int Choices,
    int? MaxTokens)
{
    private const string SupportedRoles = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'";

    private const int TokensPerMessage = 8;

    public static ChatCompletionRequest? Parse(JsonElement root, out ApiError error)
    {
        // 1. model and messages, the two required fields.
        string? model = RequestFields.Model(root, out error);
        if (model is null)
        {
            return null;
        }

        long? promptTokens = CountMessages(root, out error);
        if (promptTokens is null)
        {
            return null;
        }

        // 2. The optional fields that shape the answer.
        if (!RequestFields.Streaming(root, out bool stream, out bool includeUsage, out error)
            || !RequestFields.OptionalInteger(root, "n", 1, RequestFields.MaxChoices, out int? n, out error)
            || !RequestFields.OptionalInteger(root, "max_completion_tokens", 1, int.MaxValue, out int? max, out error)
            || !RequestFields.OptionalInteger(root, "max_tokens", 1, int.MaxValue, out int? legacyMax, out error))
        {
            return null;
        }

        int prompt = (int)Math.Clamp(promptTokens.Value, 1, int.MaxValue);
        return new ChatCompletionRequest(model, prompt, stream, includeUsage, n ?? 1, max ?? legacyMax);
    }

    private static long? CountMessages(JsonElement root, out ApiError error)
    {
        error = default;
        if (JsonShapes.IsAbsent(root, "messages", out JsonElement messages))
        {
            error = ApiError.Missing("messages");
            return null;
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = ApiError.InvalidType("messages", "an array", JsonShapes.Describe(messages));
            return null;
        }

        if (messages.GetArrayLength() == 0)
        {
            error = ApiError.EmptyArray("messages");
            return null;
        }

        long characters = 0;
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            if (!CheckRole(message, index, out error))
            {
                return null;
            }

            characters += ContentLength(message);
            index++;
        }

        return (characters / 4) + ((long)TokensPerMessage * index);
    }

    private static bool CheckRole(JsonElement message, int index, out ApiError error)
    {
        error = default;
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = ApiError.InvalidType($"messages[{index}]", "an object", JsonShapes.Describe(message));
            return false;
        }

        string param = $"messages[{index}].role";
        if (JsonShapes.IsAbsent(message, "role", out JsonElement role))
        {
            error = ApiError.Missing(param);
            return false;
        }

        if (role.ValueKind != JsonValueKind.String)
        {
            error = ApiError.InvalidType(param, "a string", JsonShapes.Describe(role));
            return false;
        }

        if (role.ValueEquals("user") || role.ValueEquals("assistant") || role.ValueEquals("system")
            || role.ValueEquals("developer") || role.ValueEquals("tool") || role.ValueEquals("function"))
        {
            return true;
        }

        error = ApiError.InvalidValue(param, role.GetString() ?? "", SupportedRoles);
        return false;
    }

    /// <summary>Text length of a message's content: a string, or the <c>text</c> of each content part.</summary>
    private static long ContentLength(JsonElement message)
    {
        if (!message.TryGetProperty("content", out JsonElement content))
        {
            return 0;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return JsonShapes.RawStringLength(content);
        }

        long length = 0;
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object
                    && part.TryGetProperty("text", out JsonElement text)
                    && text.ValueKind == JsonValueKind.String)
                {
                    length += JsonShapes.RawStringLength(text);
                }
            }
        }

        return length;
    }
}
