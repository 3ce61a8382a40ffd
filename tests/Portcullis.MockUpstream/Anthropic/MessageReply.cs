using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>
/// What the default answer says: the mock's fixed sentence (one output token per word, cut by a stop sequence or
/// by <c>max_tokens</c>), or one call of the request's chosen tool.
/// </summary>
internal sealed class MessageReply
{
    private const int ToolBlockTokens = 8;

    private const int MaxJsonPieces = 3;

    private MessageReply(
        ToolDefinition? tool,
        string text,
        IReadOnlyList<string> deltas,
        string stopReason,
        string? stopSequence,
        int outputTokens)
    {
        Tool = tool;
        ToolUseId = tool is null ? "" : AnthropicIds.ToolUse();
        Text = text;
        Deltas = deltas;
        StopReason = stopReason;
        StopSequence = stopSequence;
        OutputTokens = outputTokens;
    }

    /// <summary>The tool called, or null for a text reply.</summary>
    public ToolDefinition? Tool { get; }

    public string ToolUseId { get; }

    /// <summary>The text of a text reply (possibly empty when a stop sequence matched at once).</summary>
    public string Text { get; }

    /// <summary>Streamed pieces: words of the text, or 2 to 3 pieces of the tool's input JSON.</summary>
    public IReadOnlyList<string> Deltas { get; }

    public string StopReason { get; }

    public string? StopSequence { get; }

    /// <summary>Words of the text (at least 1), or 8 plus a token per 4 characters of tool input.</summary>
    public int OutputTokens { get; }

    public static MessageReply For(MessagesRequest request)
    {
        // NOTE: a tool call is never cut by max_tokens; Anthropic would stop mid-input with stop_reason max_tokens.
        if (request.ToolToCall is { } tool)
        {
            string json = tool.InputJson;
            return new MessageReply(
                tool, "", Split(json), "tool_use", null, ToolBlockTokens + (json.Length / 4));
        }

        // 1. The whole sentence, cut at the earliest stop sequence.
        string text = ReplyPlan.For(null).Text;
        string stopReason = "end_turn";
        string? stopSequence = null;
        int cut = text.Length;
        foreach (string stop in request.StopSequences)
        {
            int at = stop.Length == 0 ? -1 : text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && at < cut)
            {
                cut = at;
                stopReason = "stop_sequence";
                stopSequence = stop;
            }
        }

        // 2. Then at max_tokens words, if that comes first.
        List<string> words = Words(text[..cut]);
        if (words.Count > request.MaxTokens)
        {
            words.RemoveRange(request.MaxTokens, words.Count - request.MaxTokens);
            stopReason = "max_tokens";
            stopSequence = null;
        }

        return new MessageReply(
            null, string.Concat(words), words, stopReason, stopSequence, Math.Max(1, words.Count));
    }

    /// <summary>Splits before each space after the first character: "a b c " → "a", " b", " c ".</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                words.Add(text[start..i]);
                start = i;
            }
        }

        // A trailing space left by a stop sequence is no word of its own.
        if (words.Count > 1 && string.IsNullOrWhiteSpace(words[^1]))
        {
            words[^2] += words[^1];
            words.RemoveAt(words.Count - 1);
        }

        return words;
    }

    private static string[] Split(string json)
    {
        int count = Math.Min(MaxJsonPieces, json.Length);
        var pieces = new string[count];
        int start = 0;
        for (int i = 0; i < count; i++)
        {
            int end = i == count - 1 ? json.Length : json.Length * (i + 1) / count;
            if (end < json.Length && char.IsLowSurrogate(json[end]))
            {
                end++;
            }

            pieces[i] = json[start..end];
            start = end;
        }

        return pieces;
    }
}
