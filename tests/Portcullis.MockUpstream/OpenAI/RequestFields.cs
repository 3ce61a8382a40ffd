using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Validation of the request fields the generation endpoints share, with OpenAI's error wording.</summary>
internal static class RequestFields
{
    public const int MaxChoices = 128;

    public static string? Model(JsonElement root, out ApiError error)
    {
        error = default;
        if (JsonShapes.IsAbsent(root, "model", out JsonElement model))
        {
            error = ApiError.MissingModel();
            return null;
        }

        if (model.ValueKind != JsonValueKind.String)
        {
            error = ApiError.InvalidType("model", "a string", JsonShapes.Describe(model));
            return null;
        }

        return model.GetString();
    }

    /// <summary>Reads <c>stream</c> and <c>stream_options.include_usage</c>; false on a validation error.</summary>
    public static bool Streaming(JsonElement root, out bool stream, out bool includeUsage, out ApiError error)
    {
        stream = false;
        includeUsage = false;
        error = default;

        // 1. stream: a boolean, absent or null meaning false.
        if (!JsonShapes.IsAbsent(root, "stream", out JsonElement streamValue))
        {
            if (streamValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = ApiError.InvalidType("stream", "a boolean", JsonShapes.Describe(streamValue));
                return false;
            }

            stream = streamValue.GetBoolean();
        }

        // 2. stream_options: only with stream enabled.
        if (JsonShapes.IsAbsent(root, "stream_options", out JsonElement options))
        {
            return true;
        }

        if (!stream)
        {
            error = ApiError.StreamOptionsWithoutStream();
            return false;
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            error = ApiError.InvalidType("stream_options", "an object", JsonShapes.Describe(options));
            return false;
        }

        if (!JsonShapes.IsAbsent(options, "include_usage", out JsonElement usage))
        {
            if (usage.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error = ApiError.InvalidType(
                    "stream_options.include_usage", "a boolean", JsonShapes.Describe(usage));
                return false;
            }

            includeUsage = usage.GetBoolean();
        }

        return true;
    }

    /// <summary>
    /// An optional integer within [<paramref name="minimum"/>, <paramref name="maximum"/>]; null when absent.
    /// False on a validation error.
    /// </summary>
    public static bool OptionalInteger(
        JsonElement root,
        string name,
        long minimum,
        long maximum,
        out int? value,
        out ApiError error)
    {
        value = null;
        error = default;
        if (JsonShapes.IsAbsent(root, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long number))
        {
            error = ApiError.InvalidType(name, "an integer", JsonShapes.Describe(element));
            return false;
        }

        if (number < minimum)
        {
            error = ApiError.BelowMinimum(name, minimum, number);
            return false;
        }

        if (number > maximum)
        {
            error = ApiError.AboveMaximum(name, maximum, number);
            return false;
        }

        value = (int)number;
        return true;
    }
}
