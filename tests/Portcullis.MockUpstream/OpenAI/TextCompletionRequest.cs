using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The parts of a validated <c>POST /v1/completions</c> body the mock's answer depends on.</summary>
/// <param name="Model">Echoed in the answer.</param>
/// <param name="Prompts">How many prompts were sent; each gets <paramref name="PerPrompt"/> choices.</param>
/// <param name="PromptTokens">A text prompt counts its UTF-8 length / 4, at least 1; a token prompt its length.</param>
/// <param name="Stream">Whether to answer as server-sent events.</param>
/// <param name="IncludeUsage">Whether a streamed answer ends with a usage chunk.</param>
/// <param name="PerPrompt">The <c>n</c> parameter (default 1).</param>
/// <param name="MaxTokens"><c>max_tokens</c>; null when not set.</param>
internal sealed record TextCompletionRequest(
    string Model,
    int Prompts,
    int PromptTokens,
    bool Stream,
    bool IncludeUsage,
    int PerPrompt,
    int? MaxTokens)
{
    public int Choices => Prompts * PerPrompt;

    public static TextCompletionRequest? Parse(JsonElement root, out ApiError error)
    {
        // 1. model and prompt, the two required fields.
        string? model = RequestFields.Model(root, out error);
        if (model is null)
        {
            return null;
        }

        if (!CountPrompts(root, out int prompts, out long tokens, out error))
        {
            return null;
        }

        // 2. The optional fields that shape the answer.
        if (!RequestFields.Streaming(root, out bool stream, out bool includeUsage, out error)
            || !RequestFields.OptionalInteger(root, "n", 1, RequestFields.MaxChoices, out int? n, out error)
            || !RequestFields.OptionalInteger(root, "max_tokens", 0, int.MaxValue, out int? max, out error))
        {
            return null;
        }

        int promptTokens = (int)Math.Min(tokens, int.MaxValue);
        return new TextCompletionRequest(model, prompts, promptTokens, stream, includeUsage, n ?? 1, max);
    }

    /// <summary>A prompt is a string, an array of strings, an array of tokens, or an array of token arrays.</summary>
    private static bool CountPrompts(JsonElement root, out int prompts, out long tokens, out ApiError error)
    {
        prompts = 0;
        tokens = 0;
        error = default;
        if (JsonShapes.IsAbsent(root, "prompt", out JsonElement prompt))
        {
            error = ApiError.Missing("prompt");
            return false;
        }

        if (prompt.ValueKind == JsonValueKind.String)
        {
            prompts = 1;
            tokens = TextTokens(prompt);
            return true;
        }

        if (prompt.ValueKind != JsonValueKind.Array)
        {
            error = ApiError.InvalidType("prompt", "a string or array", JsonShapes.Describe(prompt));
            return false;
        }

        if (prompt.GetArrayLength() == 0)
        {
            error = ApiError.EmptyArray("prompt");
            return false;
        }

        // An array of integers is one tokenised prompt; otherwise every item is a prompt of its own.
        JsonValueKind first = prompt[0].ValueKind;
        if (first == JsonValueKind.Number)
        {
            prompts = 1;
            tokens = prompt.GetArrayLength();
            return AllIntegers(prompt, out error);
        }

        foreach (JsonElement item in prompt.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && first == JsonValueKind.String)
            {
                tokens += TextTokens(item);
            }
            else if (item.ValueKind == JsonValueKind.Array && first == JsonValueKind.Array && item.GetArrayLength() > 0)
            {
                if (!AllIntegers(item, out error))
                {
                    return false;
                }

                tokens += item.GetArrayLength();
            }
            else
            {
                error = ApiError.InvalidInput("prompt");
                return false;
            }

            prompts++;
        }

        return true;
    }

    private static long TextTokens(JsonElement text) => Math.Max(1, JsonShapes.RawStringLength(text) / 4);

    private static bool AllIntegers(JsonElement array, out ApiError error)
    {
        error = default;
        foreach (JsonElement token in array.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt32(out _))
            {
                error = ApiError.InvalidInput("prompt");
                return false;
            }
        }

        return true;
    }
}
