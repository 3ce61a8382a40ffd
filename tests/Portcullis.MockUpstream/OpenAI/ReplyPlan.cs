namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// The deterministic text the default behaviour generates: a fixed sentence of <see cref="AllWords"/> words, one
/// completion token per word, cut short (finish reason <c>length</c>) when the request's token limit is lower.
/// </summary>
internal sealed class ReplyPlan
{
    private static readonly string[] Words =
        ["Hello", "from", "the", "Portcullis", "mock", "upstream.", "This", "reply", "is", "deterministic."];

    private static readonly string[] StreamDeltas = [.. Words.Select((word, i) => i == 0 ? word : " " + word)];

    private static readonly ReplyPlan Whole = new(Words.Length);

    private ReplyPlan(int words)
    {
        WordCount = words;
        Text = string.Join(' ', Words, 0, words);
        FinishReason = words < Words.Length ? "length" : "stop";
        Deltas = new ArraySegment<string>(StreamDeltas, 0, words);
    }

    public static int AllWords => Words.Length;

    /// <summary>Completion tokens per choice.</summary>
    public int WordCount { get; }

    public string Text { get; }

    public string FinishReason { get; }

    /// <summary>The streamed content deltas, one per word; they concatenate to <see cref="Text"/>.</summary>
    public IReadOnlyList<string> Deltas { get; }

    public static ReplyPlan For(int? maxTokens) =>
        maxTokens is { } max && max < Words.Length ? new ReplyPlan(max) : Whole;
}
