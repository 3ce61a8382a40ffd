using System.Collections.Frozen;
using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>The parts of a validated <c>POST /v1/messages</c> body the mock's answer depends on.</summary>
/// <param name="Model">Echoed in the answer.</param>
/// <param name="MaxTokens">The output limit; 0 for <c>count_tokens</c>, which takes none.</param>
/// <param name="Stream">Whether to answer as server-sent events.</param>
/// <param name="InputTokens">
/// Deterministic estimate: UTF-8 bytes of message text, tool inputs and results, system text and tool definitions,
/// divided by 4, plus 8 per message; at least 1.
/// </param>
/// <param name="ToolToCall">The tool the reply calls, or null for a text reply.</param>
/// <param name="StopSequences">Where the reply's text stops early.</param>
internal sealed record MessagesRequest(
    string Model,
    int MaxTokens,
    bool Stream,
    int InputTokens,
    ToolDefinition? ToolToCall,
    IReadOnlyList<string> StopSequences)
{
    private const int TokensPerMessage = 8;

    private static readonly FrozenSet<string> CountFields = FrozenSet.Create(
        StringComparer.Ordinal, "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers");

    private static readonly FrozenSet<string> MessageFields = FrozenSet.Create(
        StringComparer.Ordinal,
        [.. CountFields, "max_tokens", "stream", "stop_sequences", "temperature", "top_p", "top_k", "metadata",
            "service_tier", "container", "context_management"]);

    public static MessagesRequest? Parse(JsonElement root, bool countOnly, out AnthropicError error)
    {
        // 1. Anthropic refuses fields it does not know.
        FrozenSet<string> known = countOnly ? CountFields : MessageFields;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                error = AnthropicError.ExtraField(property.Name);
                return null;
            }
        }

        // 2. The required fields.
        int maxTokens = 0;
        if (!AnthropicFields.RequiredString(root, "model", "model", out string model, out error)
            || (!countOnly && !AnthropicFields.RequiredInteger(root, "max_tokens", 1, out maxTokens, out error)))
        {
            return null;
        }

        MessageList? messages = MessageList.Read(root, out error);
        if (messages is null || !ReadSystem(root, out long systemBytes, out error))
        {
            return null;
        }

        ToolSet? tools = ToolSet.Read(root, out error);
        if (tools is null)
        {
            return null;
        }

        // 3. Sampling and streaming.
        if (!AnthropicFields.OptionalNumber(root, "temperature", 0, 1, out error)
            || !AnthropicFields.OptionalNumber(root, "top_p", 0, 1, out error)
            || !AnthropicFields.OptionalNumber(root, "top_k", 0, int.MaxValue, out error)
            || !AnthropicFields.OptionalBoolean(root, "stream", out bool stream, out error)
            || !AnthropicFields.OptionalStrings(root, "stop_sequences", out List<string> stops, out error))
        {
            return null;
        }

        long bytes = messages.TextBytes + systemBytes + tools.DefinitionBytes;
        long input = (bytes / 4) + ((long)TokensPerMessage * messages.Count);
        int inputTokens = (int)Math.Clamp(input, 1, int.MaxValue);
        ToolDefinition? call = tools.Pick(messages.LastUserAsksForTool);
        return new MessagesRequest(model, maxTokens, stream, inputTokens, call, stops);
    }

    /// <summary><c>system</c>: absent, a string, or an array of text blocks.</summary>
    private static bool ReadSystem(JsonElement root, out long bytes, out AnthropicError error)
    {
        bytes = 0;
        error = default;
        if (JsonShapes.IsAbsent(root, "system", out JsonElement system))
        {
            return true;
        }

        if (system.ValueKind == JsonValueKind.String)
        {
            bytes = AnthropicFields.TextBytes(system);
            return true;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.WrongType("system", "string");
            return false;
        }

        int index = 0;
        foreach (JsonElement block in system.EnumerateArray())
        {
            string path = $"system.{index}";
            if (block.ValueKind != JsonValueKind.Object)
            {
                error = AnthropicError.WrongType(path, "dictionary");
                return false;
            }

            if (!AnthropicFields.RequiredString(block, "type", path + ".type", out string type, out error)
                || !AnthropicFields.RequiredString(block, "text", path + ".text", out _, out error))
            {
                return false;
            }

            if (type != "text")
            {
                error = AnthropicError.UnknownTag(path, type, "'text'");
                return false;
            }

            bytes += AnthropicFields.TextBytes(block.GetProperty("text"));
            index++;
        }

        return true;
    }
}
