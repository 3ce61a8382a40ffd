using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>The validated <c>tools</c> and <c>tool_choice</c>.</summary>
/// <param name="Tools">The tools in request order.</param>
/// <param name="ChoiceType"><c>auto</c> (the default), <c>any</c>, <c>tool</c> or <c>none</c>.</param>
/// <param name="Forced">The tool <c>tool_choice</c> names when its type is <c>tool</c>.</param>
/// <param name="DefinitionBytes">Raw size of the <c>tools</c> array, counted as input.</param>
internal sealed record ToolSet(
    IReadOnlyList<ToolDefinition> Tools,
    string ChoiceType,
    ToolDefinition? Forced,
    long DefinitionBytes)
{
    private const int MaxNameLength = 128;

    /// <summary>
    /// The tool the reply calls: the forced one, the first for <c>any</c>, the first for <c>auto</c> when the last
    /// user message asks to "use the tool"; null for a text reply.
    /// </summary>
    public ToolDefinition? Pick(bool userAsked) => ChoiceType switch
    {
        _ when Tools.Count == 0 => null,
        "tool" => Forced,
        "any" => Tools[0],
        "auto" when userAsked => Tools[0],
        _ => null,
    };

    public static ToolSet? Read(JsonElement root, out AnthropicError error)
    {
        // 1. tools: name, optional description, input_schema (server tools, with a type, need only a name).
        var tools = new List<ToolDefinition>();
        long definitionBytes = 0;
        if (!JsonShapes.IsAbsent(root, "tools", out JsonElement array))
        {
            if (array.ValueKind != JsonValueKind.Array)
            {
                error = AnthropicError.WrongType("tools", "list");
                return null;
            }

            definitionBytes = array.GetRawText().Length;
            int index = 0;
            foreach (JsonElement tool in array.EnumerateArray())
            {
                ToolDefinition? definition = ReadTool(tool, $"tools.{index}", out error);
                if (definition is null)
                {
                    return null;
                }

                if (tools.Exists(t => t.Name == definition.Name))
                {
                    error = AnthropicError.Invalid("tools: Tool names must be unique.");
                    return null;
                }

                tools.Add(definition);
                index++;
            }
        }

        // 2. tool_choice: which of them the reply may or must call.
        return ReadChoice(root, tools, definitionBytes, out error);
    }

    private static ToolDefinition? ReadTool(JsonElement tool, string path, out AnthropicError error)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType(path, "dictionary");
            return null;
        }

        if (!AnthropicFields.RequiredString(tool, "name", path + ".name", out string name, out error))
        {
            return null;
        }

        if (name.Length is 0 or > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            error = AnthropicError.Invalid($"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'");
            return null;
        }

        bool serverTool = tool.TryGetProperty("type", out JsonElement type)
            && type.ValueKind == JsonValueKind.String
            && !type.ValueEquals("custom");
        if (serverTool)
        {
            return new ToolDefinition(name, "{}");
        }

        if (!JsonShapes.IsAbsent(tool, "description", out JsonElement description)
            && description.ValueKind != JsonValueKind.String)
        {
            error = AnthropicError.WrongType(path + ".description", "string");
            return null;
        }

        if (JsonShapes.IsAbsent(tool, "input_schema", out JsonElement schema))
        {
            error = AnthropicError.FieldRequired(path + ".input_schema");
            return null;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType(path + ".input_schema", "dictionary");
            return null;
        }

        return new ToolDefinition(name, ToolInputExample.For(schema));
    }

    private static ToolSet? ReadChoice(
        JsonElement root,
        List<ToolDefinition> tools,
        long definitionBytes,
        out AnthropicError error)
    {
        error = default;
        if (JsonShapes.IsAbsent(root, "tool_choice", out JsonElement choice))
        {
            return new ToolSet(tools, "auto", null, definitionBytes);
        }

        if (choice.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.WrongType("tool_choice", "dictionary");
            return null;
        }

        if (!AnthropicFields.RequiredString(choice, "type", "tool_choice.type", out string type, out error)
            || !AnthropicFields.OptionalBoolean(choice, "disable_parallel_tool_use", out _, out error))
        {
            return null;
        }

        if (type is not ("auto" or "any" or "tool" or "none"))
        {
            error = AnthropicError.UnknownTag("tool_choice", type, "'auto', 'any', 'tool', 'none'");
            return null;
        }

        if (type is "any" or "tool" && tools.Count == 0)
        {
            error = AnthropicError.Invalid("tool_choice: may only be specified while providing tools");
            return null;
        }

        if (type != "tool")
        {
            return new ToolSet(tools, type, null, definitionBytes);
        }

        if (!AnthropicFields.RequiredString(choice, "name", "tool_choice.name", out string name, out error))
        {
            return null;
        }

        ToolDefinition? forced = tools.Find(t => t.Name == name);
        if (forced is null)
        {
            error = AnthropicError.Invalid($"tool_choice.name: Tool '{name}' not found in provided tools");
            return null;
        }

        return new ToolSet(tools, type, forced, definitionBytes);
    }
}
