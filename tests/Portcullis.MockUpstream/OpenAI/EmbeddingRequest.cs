using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>A validated <c>POST /v1/embeddings</c> body. <see cref="Inputs"/> live as long as their document.</summary>
/// <param name="Model">Echoed in the answer.</param>
/// <param name="Inputs">Each input: a non-empty string, or a non-empty array of integer tokens.</param>
/// <param name="PromptTokens">A text input counts its UTF-8 length / 4, at least 1; a token input its length.</param>
/// <param name="Dimensions">Vector length: <c>dimensions</c>, else 3072 for *-large models, else 1536.</param>
/// <param name="Base64">Whether <c>encoding_format</c> is <c>base64</c> (little-endian float32, then Base64).</param>
internal sealed record EmbeddingRequest(
    string Model,
    IReadOnlyList<JsonElement> Inputs,
    int PromptTokens,
    int Dimensions,
    bool Base64)
{
    private const int MaxInputs = 2048;
    private const int MaxDimensions = 3072;

    public static EmbeddingRequest? Parse(JsonElement root, out ApiError error)
    {
        // 1. model and input, the two required fields.
        string? model = RequestFields.Model(root, out error);
        if (model is null)
        {
            return null;
        }

        List<JsonElement>? inputs = ReadInputs(root, out long tokens, out error);
        if (inputs is null)
        {
            return null;
        }

        // 2. Output shape.
        bool base64 = false;
        if (!JsonShapes.IsAbsent(root, "encoding_format", out JsonElement format))
        {
            base64 = format.ValueKind == JsonValueKind.String && format.ValueEquals("base64");
            if (!base64 && !(format.ValueKind == JsonValueKind.String && format.ValueEquals("float")))
            {
                string value = format.ValueKind == JsonValueKind.String
                    ? format.GetString() ?? ""
                    : format.GetRawText();
                error = ApiError.InvalidValue("encoding_format", value, "'float' and 'base64'");
                return null;
            }
        }

        if (!RequestFields.OptionalInteger(root, "dimensions", 1, MaxDimensions, out int? dimensions, out error))
        {
            return null;
        }

        int size = dimensions ?? (model.Contains("large", StringComparison.Ordinal) ? MaxDimensions : 1536);
        return new EmbeddingRequest(model, inputs, (int)Math.Min(tokens, int.MaxValue), size, base64);
    }

    /// <summary>A string, an array of strings, an array of tokens, or an array of token arrays.</summary>
    private static List<JsonElement>? ReadInputs(JsonElement root, out long tokens, out ApiError error)
    {
        tokens = 0;
        error = default;
        if (JsonShapes.IsAbsent(root, "input", out JsonElement input))
        {
            error = ApiError.Missing("input");
            return null;
        }

        // 1. One string, or one tokenised input.
        if (input.ValueKind == JsonValueKind.String || IsTokenArray(input))
        {
            return Accept(input, ref tokens, out error) ? [input] : null;
        }

        // 2. A batch: every item a string, or every item a token array.
        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() is 0 or > MaxInputs)
        {
            error = ApiError.InvalidInput("input");
            return null;
        }

        JsonValueKind kind = input[0].ValueKind;
        var inputs = new List<JsonElement>(input.GetArrayLength());
        foreach (JsonElement item in input.EnumerateArray())
        {
            if (item.ValueKind != kind || !Accept(item, ref tokens, out error))
            {
                error = ApiError.InvalidInput("input");
                return null;
            }

            inputs.Add(item);
        }

        return inputs;
    }

    private static bool Accept(JsonElement item, ref long tokens, out ApiError error)
    {
        error = default;
        if (item.ValueKind == JsonValueKind.String && JsonShapes.RawStringLength(item) > 0)
        {
            tokens += Math.Max(1, JsonShapes.RawStringLength(item) / 4);
            return true;
        }

        if (IsTokenArray(item))
        {
            tokens += item.GetArrayLength();
            return true;
        }

        error = ApiError.InvalidInput("input");
        return false;
    }

    private static bool IsTokenArray(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            return false;
        }

        foreach (JsonElement token in value.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt32(out _))
            {
                return false;
            }
        }

        return true;
    }
}
