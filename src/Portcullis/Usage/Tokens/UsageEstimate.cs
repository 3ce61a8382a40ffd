namespace Portcullis.Usage.Tokens;

/// <summary>Completes an upstream's usage with Portcullis's own counts where the upstream's falls short.</summary>
internal static class UsageEstimate
{
    /// <summary>
    /// The usage to record. What the upstream reported stands, except that missing prompt tokens are counted from the
    /// request, and completion tokens are counted from what passed through when they are missing or when the answer
    /// did not finish: a cut stream's last report lags what was streamed (Anthropic's message_start says 1), so the
    /// larger number is kept. <see cref="TokenUsage.Estimated"/> is set when a counted number was used. The counting
    /// functions are only called when their number is needed.
    /// </summary>
    /// <param name="answerFinished">The answer ended normally (a stream reached its end event).</param>
    public static TokenUsage Complete(
        TokenUsage reported, bool answerFinished, Func<int> countPromptTokens, Func<int> countCompletionTokens)
    {
        bool estimated = false;
        int? prompt = reported.PromptTokens;
        if (prompt is null)
        {
            prompt = countPromptTokens();
            estimated = true;
        }

        int? completion = reported.CompletionTokens;
        if (completion is null || !answerFinished)
        {
            int counted = countCompletionTokens();
            if (completion is null || counted > completion)
            {
                completion = counted;
                estimated = true;
            }
        }

        return estimated
            ? new TokenUsage(prompt, completion, prompt + completion, reported.CachedPromptTokens, Estimated: true)
            : reported;
    }
}
