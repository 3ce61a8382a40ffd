using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Small JSON helpers shared by the endpoints.</summary>
internal static class JsonShapes
{
    /// <summary>Writer settings for every answer: compact, escaping only what JSON requires.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Parses a request body that must be a JSON object; null (with the OpenAI error) otherwise.</summary>
    public static JsonDocument? ParseObject(byte[] body, out ApiError error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.AsMemory());
        }
        catch (JsonException)
        {
            error = ApiError.UnparsableJson();
            return null;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            error = ApiError.BodyNotObject();
            return null;
        }

        error = default;
        return document;
    }

    /// <summary>How OpenAI names a value's type in an "Invalid type" message.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "an integer" : "a decimal",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    /// <summary>
    /// Length of a string value in UTF-8 bytes as sent (escape sequences count as written), read without
    /// materialising the string: a 100 MB message must not become a 200 MB <see cref="string"/>.
    /// </summary>
    public static int RawStringLength(JsonElement value) => JsonMarshal.GetRawUtf8Value(value).Length - 2;

    /// <summary>True when the property is absent or JSON null.</summary>
    public static bool IsAbsent(JsonElement parent, string name, out JsonElement value) =>
        !parent.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null;
}
