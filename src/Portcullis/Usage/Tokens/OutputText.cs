using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Gathers the text an answer produced from its events, per choice, so that pieces streamed apart are tokenized
/// together: OpenAI chat and completions chunks and whole answers, Anthropic stream events and whole messages, and
/// Responses-style <c>delta</c> strings. Data that is not JSON, or JSON of an unknown shape, counts as raw text.
/// </summary>
internal sealed class OutputText
{
    // Choices beyond this index share the last builder: still counted, merely not apart.
    private const int MaxChoices = 128;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 256 };

    private readonly List<StringBuilder> _choices = [];
    private readonly StringBuilder _pending = new();
    private readonly StringBuilder _choiceText = new();
    private StringBuilder? _raw;
    private bool _tookText;

    /// <summary>Takes one event's data, or one whole answer.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        data = data.Trim(" \t\r\n"u8);
        if (data.IsEmpty || data.SequenceEqual("[DONE]"u8))
        {
            return;
        }

        _tookText = false;
        bool recognised;
        try
        {
            var reader = new Utf8JsonReader(data, Options);
            recognised = reader.Read() && reader.TokenType == JsonTokenType.StartObject && ReadEvent(ref reader);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // What was taken before the fault stands; an event that gave nothing counts as raw text below.
            Choice(0).Append(_pending).Append(_choiceText);
            recognised = _tookText;
        }

        _pending.Clear();
        _choiceText.Clear();
        if (!recognised)
        {
            _raw ??= new StringBuilder();
            _raw.Append(Encoding.UTF8.GetString(data)).Append('\n');
        }
    }

    /// <summary>The tokens of everything gathered, each choice tokenized as one text.</summary>
    public int CountTokens(TokenEncoding encoding)
    {
        var tally = new TokenTally(encoding);
        foreach (StringBuilder choice in _choices)
        {
            tally.AddText(choice.ToString());
        }

        if (_raw is not null)
        {
            tally.AddText(_raw.ToString());
        }

        return tally.Total;
    }

    // Returns false for an object of no shape this class knows.
    private bool ReadEvent(ref Utf8JsonReader reader)
    {
        bool recognised = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                ReadChoices(ref reader);
                recognised = true;
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                // Anthropic's content_block_delta and message_delta; a Responses-style event's delta is a string.
                reader.Read();
                ReadTextOrMessage(ref reader, _pending);
                recognised = true;
            }
            else if (reader.ValueTextEquals("content_block"u8) || reader.ValueTextEquals("message"u8))
            {
                // Anthropic's content_block_start (a tool's name) and message_start (content, usually empty).
                reader.Read();
                ReadTextOrMessage(ref reader, _pending);
                recognised = true;
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                // A whole Anthropic message.
                reader.Read();
                ReadContent(ref reader, _pending);
                recognised = true;
            }
            else
            {
                // type (ping, message_stop, ...) and error mark an event this class knows, one without text.
                recognised |= reader.ValueTextEquals("type"u8) || reader.ValueTextEquals("error"u8);
                reader.Read();
                reader.Skip();
            }
        }

        Choice(0).Append(_pending);
        return recognised;
    }

    // [{"index":1,"delta":{...}}, {"index":0,"text":"..."}]: each choice's text goes to its own builder.
    private void ReadChoices(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            int index = 0;
            StringBuilder text = _choiceText.Clear();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) && value >= 0)
                    {
                        index = value;
                    }
                }
                else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8)
                    || reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    ReadTextOrMessage(ref reader, text);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            Choice(index).Append(text);
            text.Clear();
        }
    }

    private void ReadTextOrMessage(ref Utf8JsonReader reader, StringBuilder into)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            Append(ref reader, into);
        }
        else if (reader.TokenType == JsonTokenType.StartObject)
        {
            ReadMessage(ref reader, into);
        }
        else
        {
            reader.Skip();
        }
    }

    // A message, delta or content block: its text fields, content, tool calls and a tool_use block's name and input.
    // Framing fields (role, id, type, stop_reason, model) are not output text.
    private void ReadMessage(ref Utf8JsonReader reader, StringBuilder into)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                ReadContent(ref reader, into);
            }
            else if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("refusal"u8)
                || reader.ValueTextEquals("thinking"u8) || reader.ValueTextEquals("partial_json"u8)
                || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8)
                || reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    Append(ref reader, into);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                ReadContent(ref reader, into);
            }
            else if (reader.ValueTextEquals("function"u8) || reader.ValueTextEquals("function_call"u8))
            {
                reader.Read();
                ReadTextOrMessage(ref reader, into);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                // A whole tool_use block's arguments as JSON; content_block_start carries an empty {} here.
                reader.Read();
                using JsonDocument input = JsonDocument.ParseValue(ref reader);
                JsonElement value = input.RootElement;
                if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any())
                {
                    into.Append(value.GetRawText());
                    _tookText = true;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    // A string, or an array of blocks, parts or tool calls.
    private void ReadContent(ref Utf8JsonReader reader, StringBuilder into)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            ReadTextOrMessage(ref reader, into);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ReadTextOrMessage(ref reader, into);
        }
    }

    private void Append(ref Utf8JsonReader reader, StringBuilder into)
    {
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(length, 1));
        try
        {
            int written = reader.CopyString(chars);
            into.Append(chars, 0, written);
            _tookText |= written > 0;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private StringBuilder Choice(int index)
    {
        index = Math.Min(index, MaxChoices - 1);
        while (_choices.Count <= index)
        {
            _choices.Add(new StringBuilder());
        }

        return _choices[index];
    }
}
