using System.Text;
using System.Text.Json;
using System.Runtime.InteropServices;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>Validates the content blocks of one message and measures their text.</summary>
internal static class ContentBlocks
{
    private const string MessageTags = "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', "
        + "'redacted_thinking'";

    private const string ResultTags = "'text', 'image'";

    private static readonly string[] MediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>
    /// Checks a block at <paramref name="path"/>; adds its text length (UTF-8 bytes) to <paramref name="textBytes"/>
    /// and sets <paramref name="asksForTool"/> when its text contains "use the tool" (any case).
    /// </summary>
    public static bool Check(
        JsonElement block,
        string path,
        ref long textBytes,
        ref bool asksForTool,
        out AnthropicError error)
    {
        // 1. An object tagged by its type.
        if (block.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType(path, "dictionary or instance of a content block");
            return false;
        }

        if (!AnthropicFields.RequiredString(block, "type", path + ".type", out string type, out error))
        {
            return false;
        }

        // 2. The fields each type requires. Documents and thinking blocks are accepted as they come.
        switch (type)
        {
            case "text":
                return CheckText(block, path, ref textBytes, ref asksForTool, out error);
            case "image":
                return CheckImage(block, path, out error);
            case "tool_use":
                if (!AnthropicFields.RequiredString(block, "id", path + ".id", out _, out error)
                    || !AnthropicFields.RequiredString(block, "name", path + ".name", out _, out error))
                {
                    return false;
                }

                if (JsonShapes.IsAbsent(block, "input", out JsonElement input))
                {
                    error = AnthropicError.FieldRequired(path + ".input");
                    return false;
                }

                if (input.ValueKind != JsonValueKind.Object)
                {
                    error = AnthropicError.WrongType(path + ".input", "dictionary");
                    return false;
                }

                textBytes += input.GetRawText().Length;
                return true;
            case "tool_result":
                return CheckToolResult(block, path, ref textBytes, out error);
            case "document" or "thinking" or "redacted_thinking":
                return true;
            default:
                error = AnthropicError.UnknownTag(path, type, MessageTags);
                return false;
        }
    }

    /// <summary>True when a JSON string contains "use the tool" in any case (read as sent, not materialised).</summary>
    public static bool AsksForTool(JsonElement text)
    {
        ReadOnlySpan<byte> needle = "use the tool"u8;
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(text);
        for (int i = 0; i + needle.Length <= raw.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(raw.Slice(i, needle.Length), needle))
            {
                return true;
            }
        }

        return false;
    }

    private static bool CheckText(
        JsonElement block,
        string path,
        ref long textBytes,
        ref bool asksForTool,
        out AnthropicError error)
    {
        if (!AnthropicFields.RequiredString(block, "text", path + ".text", out _, out error))
        {
            return false;
        }

        JsonElement text = block.GetProperty("text");
        if (text.ValueEquals(""))
        {
            error = AnthropicError.Invalid("messages: text content blocks must be non-empty");
            return false;
        }

        textBytes += AnthropicFields.TextBytes(text);
        asksForTool |= AsksForTool(text);
        return true;
    }

    private static bool CheckImage(JsonElement block, string path, out AnthropicError error)
    {
        error = default;
        string sourcePath = path + ".source";
        if (JsonShapes.IsAbsent(block, "source", out JsonElement source))
        {
            error = AnthropicError.FieldRequired(sourcePath);
            return false;
        }

        if (source.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType(sourcePath, "dictionary");
            return false;
        }

        if (!AnthropicFields.RequiredString(source, "type", sourcePath + ".type", out string type, out error))
        {
            return false;
        }

        switch (type)
        {
            case "base64":
                if (!AnthropicFields.RequiredString(
                        source, "media_type", sourcePath + ".media_type", out string media, out error)
                    || !AnthropicFields.RequiredString(source, "data", sourcePath + ".data", out _, out error))
                {
                    return false;
                }

                if (!MediaTypes.Contains(media))
                {
                    error = AnthropicError.Invalid(
                        $"{sourcePath}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                        + "'image/webp'");
                    return false;
                }

                return true;
            case "url":
                return AnthropicFields.RequiredString(source, "url", sourcePath + ".url", out _, out error);
            default:
                error = AnthropicError.UnknownTag(sourcePath, type, "'base64', 'url'");
                return false;
        }
    }

    private static bool CheckToolResult(JsonElement block, string path, ref long textBytes, out AnthropicError error)
    {
        if (!AnthropicFields.RequiredString(block, "tool_use_id", path + ".tool_use_id", out _, out error)
            || !AnthropicFields.OptionalBoolean(block, "is_error", out _, out error))
        {
            return false;
        }

        // content: absent, a string, or text and image blocks.
        string contentPath = path + ".content";
        if (JsonShapes.IsAbsent(block, "content", out JsonElement content))
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            textBytes += AnthropicFields.TextBytes(content);
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.WrongType(contentPath, "list");
            return false;
        }

        int index = 0;
        bool ignored = false;
        foreach (JsonElement inner in content.EnumerateArray())
        {
            string innerPath = $"{contentPath}.{index}";
            if (inner.ValueKind == JsonValueKind.Object
                && inner.TryGetProperty("type", out JsonElement type)
                && type.ValueKind == JsonValueKind.String
                && !type.ValueEquals("text") && !type.ValueEquals("image"))
            {
                error = AnthropicError.UnknownTag(innerPath, type.GetString() ?? "", ResultTags);
                return false;
            }

            if (!Check(inner, innerPath, ref textBytes, ref ignored, out error))
            {
                return false;
            }

            index++;
        }

        return true;
    }
}
