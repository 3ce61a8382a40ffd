using System.Buffers;
using System.Text;
using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>
/// A deterministic tool input for a JSON schema: one value per top-level property, the first <c>enum</c> value or
/// a fixed value of the property's type (<c>"mock"</c>, 1, true, [], {}).
/// </summary>
internal static class ToolInputExample
{
    public static string For(JsonElement schema)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, JsonShapes.WriterOptions))
        {
            w.WriteStartObject();
            if (schema.ValueKind == JsonValueKind.Object
                && schema.TryGetProperty("properties", out JsonElement properties)
                && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty property in properties.EnumerateObject())
                {
                    w.WritePropertyName(property.Name);
                    WriteValue(w, property.Value);
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter w, JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            w.WriteStringValue("mock");
            return;
        }

        if (schema.TryGetProperty("enum", out JsonElement values)
            && values.ValueKind == JsonValueKind.Array
            && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(w);
            return;
        }

        string? type = schema.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()
            : null;
        switch (type)
        {
            case "integer" or "number":
                w.WriteNumberValue(1);
                break;
            case "boolean":
                w.WriteBooleanValue(true);
                break;
            case "array":
                w.WriteStartArray();
                w.WriteEndArray();
                break;
            case "object":
                w.WriteStartObject();
                w.WriteEndObject();
                break;
            case "null":
                w.WriteNullValue();
                break;
            default:
                w.WriteStringValue("mock");
                break;
        }
    }
}
