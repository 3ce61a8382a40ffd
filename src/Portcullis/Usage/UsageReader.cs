using System.Text.Json;

namespace Portcullis.Usage;

/// <summary>
/// Reads the top-level <c>usage</c> object of an OpenAI-format answer or stream chunk (chat, completions, embeddings)
/// without building a document, and tells whether a chunk is a usage-only chunk (<c>"choices":[]</c>).
/// </summary>
internal static class UsageReader
{
    public static bool TryRead(ReadOnlySpan<byte> json, out TokenUsage usage, out bool usageOnlyChunk)
    {
        usage = default;
        usageOnlyChunk = false;
        bool found = false, choicesEmpty = false;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        usage = ReadUsageObject(ref reader);
                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    // Anthropic's message_start carries its usage inside the message object.
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && TryReadNestedUsage(ref reader, out TokenUsage nested))
                    {
                        usage = nested;
                        found = true;
                    }
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        Utf8JsonReader peek = reader;
                        peek.Read();
                        choicesEmpty = peek.TokenType == JsonTokenType.EndArray;
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        usageOnlyChunk = found && choicesEmpty;
        return found;
    }

    // Reads an object up to its end; returns the usage object found directly inside it, if any.
    private static bool TryReadNestedUsage(ref Utf8JsonReader reader, out TokenUsage usage)
    {
        usage = default;
        bool found = false;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    usage = ReadUsageObject(ref reader);
                    found = true;
                }
            }
        }

        return found;
    }

    // Reads OpenAI's usage (prompt_tokens, or input_tokens in the Responses API, with the cached part under
    // prompt_tokens_details / input_tokens_details) and Anthropic's (input_tokens apart from cache reads and writes).
    private static TokenUsage ReadUsageObject(ref Utf8JsonReader reader)
    {
        int? prompt = null, completion = null, total = null, cacheRead = null, cacheWrite = null, cachedDetail = null;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8))
            {
                prompt = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8))
            {
                completion = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("total_tokens"u8))
            {
                total = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("cache_read_input_tokens"u8))
            {
                cacheRead = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("cache_creation_input_tokens"u8))
            {
                cacheWrite = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8)
                || reader.ValueTextEquals("input_tokens_details"u8))
            {
                reader.Read();
                cachedDetail = ReadCachedTokens(ref reader) ?? cachedDetail;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Anthropic counts cache reads and writes apart from input_tokens; all of them were prompt. OpenAI's
        // prompt_tokens already hold its cached tokens.
        if (prompt is not null && (cacheRead is not null || cacheWrite is not null))
        {
            prompt += (cacheRead ?? 0) + (cacheWrite ?? 0);
        }

        return new TokenUsage(prompt, completion, total ?? (prompt + completion), cacheRead ?? cachedDetail);
    }

    // {"cached_tokens":n,...}: the part of the prompt read from the provider's cache.
    private static int? ReadCachedTokens(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        int? cached = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("cached_tokens"u8))
            {
                cached = ReadInt(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return cached;
    }

    private static int? ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) ? value : null;
    }
}
