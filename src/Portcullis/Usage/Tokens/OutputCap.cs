namespace Portcullis.Usage.Tokens;

/// <summary>
/// The most output a request asked for: <see cref="MaxTokens"/> per choice (null when the request sets no cap, so
/// the model's own output limit applies) times <see cref="Choices"/> (<c>n</c>, or <c>best_of</c> for completions,
/// which the upstream generates and bills even when it returns fewer). <see cref="Problem"/> names a count field that
/// is present but not a non-negative integer: an upstream might read it differently, so the worst case is unknown.
/// </summary>
internal readonly record struct OutputCap(int? MaxTokens, int Choices, string? Problem = null)
{
    /// <summary>The worst-case output tokens; <paramref name="modelOutputLimit"/> stands in for a missing cap.</summary>
    public long WorstCase(int modelOutputLimit) => (long)(MaxTokens ?? modelOutputLimit) * Choices;
}
