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
        bool stream = false, includeUsage = false, seenModel = false, seenStream = false, seenOptions = false;
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
                    if (!Once(ref seenModel, "model", out problem))
                    {
                        return null;
                    }

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
                    if (!Once(ref seenStream, "stream", out problem))
                    {
                        return null;
                    }

                    reader.Read();
                    stream = reader.TokenType == JsonTokenType.True;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    if (!Once(ref seenOptions, "stream_options", out problem))
                    {
                        return null;
                    }

                    reader.Read();
                    optionsStart = (int)reader.TokenStartIndex;
                    int usageFlags = reader.TokenType == JsonTokenType.StartObject ? ReadIncludeUsage(ref reader) : 0;
                    if (usageFlags < 0)
                    {
                        problem = "stream_options names a field more than once, or is nested more than 32 levels deep.";
                        return null;
                    }

                    includeUsage = usageFlags == 1;
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
        catch (InvalidOperationException)
        {
            problem = "The request body holds a string that is not valid Unicode.";
            return null;
        }

        return new RequestBodyFacts(model, modelStart, modelEnd, stream, includeUsage, optionsStart, optionsEnd, objectStart);
    }

    // A property the gateway acts on must appear once: the gateway and the upstream might read different copies.
    private static bool Once(ref bool seen, string name, out string? problem)
    {
        problem = seen ? $"The request body names '{name}' more than once." : null;
        bool first = !seen;
        seen = true;
        return first;
    }

    // Reads include_usage from a copy of the reader, leaving the original on the object's start token: 1 when true,
    // 0 when false or absent, -1 when a field is named twice or the object nests too deep (the gateway may rewrite it).
    private static int ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        Utf8JsonReader copy = reader;
        int depth = copy.CurrentDepth;
        int result = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (copy.Read() && copy.CurrentDepth > depth)
        {
            if (copy.CurrentDepth > depth + 32)
            {
                return -1;
            }

            if (copy.TokenType != JsonTokenType.PropertyName || copy.CurrentDepth != depth + 1)
            {
                continue;
            }

            if (!names.Add(copy.GetString()!))
            {
                return -1;
            }

            if (copy.ValueTextEquals("include_usage"u8))
            {
                copy.Read();
                result = copy.TokenType == JsonTokenType.True ? 1 : 0;
            }
        }

        return result;
    }
}
