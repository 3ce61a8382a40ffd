using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>Field checks with Anthropic's error wording (<c>path: Input should be ...</c>).</summary>
internal static class AnthropicFields
{
    public static bool RequiredString(
        JsonElement parent,
        string name,
        string path,
        out string value,
        out AnthropicError error)
    {
        value = "";
        error = default;
        if (JsonShapes.IsAbsent(parent, name, out JsonElement element))
        {
            error = AnthropicError.FieldRequired(path);
            return false;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = AnthropicError.WrongType(path, "string");
            return false;
        }

        value = element.GetString() ?? "";
        return true;
    }

    /// <summary>A required integer of at least <paramref name="minimum"/>.</summary>
    public static bool RequiredInteger(
        JsonElement parent,
        string name,
        long minimum,
        out int value,
        out AnthropicError error)
    {
        value = 0;
        error = default;
        if (JsonShapes.IsAbsent(parent, name, out JsonElement element))
        {
            error = AnthropicError.FieldRequired(name);
            return false;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long number))
        {
            error = AnthropicError.WrongType(name, "integer");
            return false;
        }

        if (number < minimum)
        {
            error = AnthropicError.Invalid($"{name}: Input should be greater than or equal to {minimum}");
            return false;
        }

        value = (int)Math.Min(number, int.MaxValue);
        return true;
    }

    /// <summary>An optional number within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public static bool OptionalNumber(
        JsonElement parent,
        string name,
        double minimum,
        double maximum,
        out AnthropicError error)
    {
        error = default;
        if (JsonShapes.IsAbsent(parent, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out double number))
        {
            error = AnthropicError.WrongType(name, "number");
            return false;
        }

        if (number < minimum)
        {
            error = AnthropicError.Invalid($"{name}: Input should be greater than or equal to {minimum}");
            return false;
        }

        if (number > maximum)
        {
            error = AnthropicError.Invalid($"{name}: Input should be less than or equal to {maximum}");
            return false;
        }

        return true;
    }

    public static bool OptionalBoolean(JsonElement parent, string name, out bool value, out AnthropicError error)
    {
        value = false;
        error = default;
        if (JsonShapes.IsAbsent(parent, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error = AnthropicError.WrongType(name, "boolean");
            return false;
        }

        value = element.GetBoolean();
        return true;
    }

    /// <summary>An optional array of strings; empty when absent.</summary>
    public static bool OptionalStrings(
        JsonElement parent,
        string name,
        out List<string> values,
        out AnthropicError error)
    {
        values = [];
        error = default;
        if (JsonShapes.IsAbsent(parent, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.WrongType(name, "list");
            return false;
        }

        int index = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = AnthropicError.WrongType($"{name}.{index}", "string");
                return false;
            }

            values.Add(item.GetString() ?? "");
            index++;
        }

        return true;
    }

    /// <summary>A string's length in UTF-8 bytes as sent, 0 for anything else.</summary>
    public static int TextBytes(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? JsonShapes.RawStringLength(value) : 0;
}
