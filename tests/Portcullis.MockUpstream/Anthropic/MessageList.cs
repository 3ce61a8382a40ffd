using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>The validated <c>messages</c> array, reduced to what the answer depends on.</summary>
/// <param name="Count">Number of messages.</param>
/// <param name="TextBytes">UTF-8 bytes of their text, tool inputs and tool results.</param>
/// <param name="LastUserAsksForTool">Whether the last user message's text contains "use the tool".</param>
internal sealed record MessageList(int Count, long TextBytes, bool LastUserAsksForTool)
{
    private const string EmptyContent =
        "messages.{0}: all messages must have non-empty content except for the optional final assistant message";

    public static MessageList? Read(JsonElement root, out AnthropicError error)
    {
        // 1. A non-empty array that opens with the user.
        if (JsonShapes.IsAbsent(root, "messages", out JsonElement messages))
        {
            error = AnthropicError.FieldRequired("messages");
            return null;
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.WrongType("messages", "list");
            return null;
        }

        int count = messages.GetArrayLength();
        if (count == 0)
        {
            error = AnthropicError.Invalid("messages: at least one message is required");
            return null;
        }

        // 2. Each message: a role and content.
        long textBytes = 0;
        bool lastUserAsks = false;
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            bool isUser = false;
            bool asks = false;
            if (!CheckMessage(message, index, index == count - 1, ref textBytes, ref isUser, ref asks, out error))
            {
                return null;
            }

            if (index == 0 && !isUser)
            {
                error = AnthropicError.Invalid("messages: first message must use the \"user\" role");
                return null;
            }

            if (isUser)
            {
                lastUserAsks = asks;
            }

            index++;
        }

        error = default;
        return new MessageList(count, textBytes, lastUserAsks);
    }

    private static bool CheckMessage(
        JsonElement message,
        int index,
        bool isLast,
        ref long textBytes,
        ref bool isUser,
        ref bool asksForTool,
        out AnthropicError error)
    {
        string path = $"messages.{index}";
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType(path, "dictionary");
            return false;
        }

        if (!AnthropicFields.RequiredString(message, "role", path + ".role", out string role, out error))
        {
            return false;
        }

        if (role is not ("user" or "assistant"))
        {
            error = AnthropicError.Invalid($"{path}.role: Input should be 'user' or 'assistant'");
            return false;
        }

        isUser = role == "user";
        bool mayBeEmpty = isLast && !isUser;
        if (JsonShapes.IsAbsent(message, "content", out JsonElement content))
        {
            error = AnthropicError.FieldRequired(path + ".content");
            return false;
        }

        // A string, or an array of blocks.
        if (content.ValueKind == JsonValueKind.String)
        {
            if (content.ValueEquals("") && !mayBeEmpty)
            {
                error = AnthropicError.Invalid(string.Format(null, EmptyContent, index));
                return false;
            }

            textBytes += AnthropicFields.TextBytes(content);
            asksForTool = ContentBlocks.AsksForTool(content);
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.WrongType(path + ".content", "string");
            return false;
        }

        if (content.GetArrayLength() == 0 && !mayBeEmpty)
        {
            error = AnthropicError.Invalid(string.Format(null, EmptyContent, index));
            return false;
        }

        int blockIndex = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            if (!ContentBlocks.Check(block, $"{path}.content.{blockIndex}", ref textBytes, ref asksForTool, out error))
            {
                return false;
            }

            blockIndex++;
        }

        return true;
    }
}
