using System.Runtime.InteropServices;
using System.Text.Json;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Counts the function definitions of a chat request the way OpenAI's cookbook reckons them (checked there against
/// the API's own counts for gpt-4, gpt-4o and gpt-4o-mini): a fixed start per function, <c>name:description</c>,
/// <c>key:type:description</c> per parameter, enum items one by one, and a fixed end after the last function. Schema
/// parts that reckoning leaves out (nested objects, array items, <c>$defs</c>) count their raw JSON, and a tool that
/// is not a function counts its raw JSON.
/// </summary>
internal static class ToolDefinitionTokens
{
    private const int PropertiesStart = 3;
    private const int PerProperty = 3;
    private const int EnumStart = -3;
    private const int PerEnumItem = 3;
    private const int ToolsEnd = 12;

    /// <summary>Adds the tokens of <paramref name="tools"/>, the value of <c>tools</c> or <c>functions</c>.</summary>
    public static void Add(JsonElement tools, ref TokenTally tally)
    {
        if (tools.ValueKind != JsonValueKind.Array)
        {
            AddRaw(tools, ref tally);
            return;
        }

        bool anyFunction = false;
        foreach (JsonElement tool in tools.EnumerateArray())
        {
            // {"type":"function","function":{...}} in tools; the function itself in the older functions array.
            JsonElement function = default;
            if (tool.ValueKind == JsonValueKind.Object)
            {
                bool wrapped = tool.TryGetProperty("function", out JsonElement nested)
                    && nested.ValueKind == JsonValueKind.Object;
                function = wrapped ? nested : tool.TryGetProperty("name", out _) ? tool : default;
            }

            if (function.ValueKind == JsonValueKind.Undefined)
            {
                AddRaw(tool, ref tally);
                continue;
            }

            AddFunction(function, ref tally);
            anyFunction = true;
        }

        if (anyFunction)
        {
            tally.AddFixed(ToolsEnd);
        }
    }

    private static void AddFunction(JsonElement function, ref TokenTally tally)
    {
        tally.AddFixed(tally.Encoding == TokenEncoding.Cl100kBase ? 10 : 7);
        tally.AddText($"{TextOf(function, "name")}:{WithoutFinalPeriod(TextOf(function, "description"))}");

        if (!function.TryGetProperty("parameters", out JsonElement parameters)
            || parameters.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (JsonProperty member in parameters.EnumerateObject())
        {
            if (member.NameEquals("properties") && member.Value.ValueKind == JsonValueKind.Object)
            {
                AddProperties(member.Value, ref tally);
            }
            else if (!member.NameEquals("type") && !member.NameEquals("required")
                && !member.NameEquals("additionalProperties"))
            {
                AddRaw(member.Value, ref tally);
            }
        }
    }

    private static void AddProperties(JsonElement properties, ref TokenTally tally)
    {
        bool first = true;
        foreach (JsonProperty property in properties.EnumerateObject())
        {
            if (first)
            {
                tally.AddFixed(PropertiesStart);
                first = false;
            }

            tally.AddFixed(PerProperty);
            string type = "", description = "";
            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                type = property.Value.GetRawText();
            }
            else
            {
                foreach (JsonProperty part in property.Value.EnumerateObject())
                {
                    if (part.NameEquals("type"))
                    {
                        type = TextOf(part.Value);
                    }
                    else if (part.NameEquals("description"))
                    {
                        description = TextOf(part.Value);
                    }
                    else if (part.NameEquals("enum") && part.Value.ValueKind == JsonValueKind.Array)
                    {
                        tally.AddFixed(EnumStart);
                        foreach (JsonElement item in part.Value.EnumerateArray())
                        {
                            tally.AddFixed(PerEnumItem);
                            tally.AddText(TextOf(item));
                        }
                    }
                    else
                    {
                        AddRaw(part.Value, ref tally);
                    }
                }
            }

            tally.AddText($"{property.Name}:{type}:{WithoutFinalPeriod(description)}");
        }
    }

    private static string TextOf(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out JsonElement value)
            ? TextOf(value)
            : "";

    private static string TextOf(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static string WithoutFinalPeriod(string text) => text.EndsWith('.') ? text[..^1] : text;

    private static void AddRaw(JsonElement value, ref TokenTally tally) =>
        tally.AddUtf8(JsonMarshal.GetRawUtf8Value(value));
}
