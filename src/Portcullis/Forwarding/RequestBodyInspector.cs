using System.Text.Json;

namespace Portcullis.Forwarding;

/// <summary>Reads the top-level properties of a request body the gateway acts on; everything else passes through.</summary>
internal static class RequestBodyInspector
{
    /// <summary>Returns null (and a reason) when the body is not a single JSON object.</summary>
    public static RequestBodyFacts? Inspect(ReadOnlySpan<byte> json, out string? problem)
    {
        problem = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = false, MaxDepth = 256 });
        string? model = null;
        int modelStart = -1, modelEnd = -1, optionsStart = -1, optionsEnd = -1, objectStart;
        bool stream = false, includeUsage = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                problem = "The request body must be a JSON object.";
                return null;
            }

            objectStart = (int)reader.TokenStartIndex;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        modelStart = (int)reader.TokenStartIndex;
                        model = reader.GetString();
                        modelEnd = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    stream = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    optionsStart = (int)reader.TokenStartIndex;
                    includeUsage = reader.TokenType == JsonTokenType.StartObject && ReadIncludeUsage(ref reader);
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }

                    optionsEnd = (int)reader.BytesConsumed;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                problem = "The request body must be a single JSON object.";
                return null;
            }
        }
        catch (JsonException e)
        {
            problem = $"The request body is not valid JSON ({e.Message.Split('.')[0]}).";
            return null;
        }

        return new RequestBodyFacts(model, modelStart, modelEnd, stream, includeUsage, optionsStart, optionsEnd, objectStart);
    }

    // Reads include_usage from a copy of the reader, leaving the original on the object's start token.
    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        Utf8JsonReader copy = reader;
        int depth = copy.CurrentDepth;
        while (copy.Read() && copy.CurrentDepth > depth)
        {
            if (copy.TokenType == JsonTokenType.PropertyName && copy.CurrentDepth == depth + 1 &&
                copy.ValueTextEquals("include_usage"u8))
            {
                copy.Read();
                return copy.TokenType == JsonTokenType.True;
            }
        }

        return false;
    }
}
