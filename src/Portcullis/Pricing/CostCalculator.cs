using Portcullis.Usage;

namespace Portcullis.Pricing;

/// <summary>
/// Turns token counts into picodollars. Exact integer arithmetic throughout; a result too large for a
/// <see cref="long"/> (about 9.2 million dollars) is held at <see cref="long.MaxValue"/> rather than wrapping round,
/// so an absurd count can only ever look too expensive, never cheap.
/// </summary>
internal static class CostCalculator
{
    /// <summary>
    /// The cost of one request. <see cref="TokenUsage.PromptTokens"/> includes the cached ones: the uncached rest is
    /// priced at the input price and <see cref="TokenUsage.CachedPromptTokens"/> at the cached-input price; completion
    /// tokens at the output price. A side the upstream left out is derived from the total when it can be; when only a
    /// total is known, every token is priced at the dearer of the input and output price.
    /// </summary>
    public static long Compute(in TokenUsage usage, ModelPrice price)
    {
        long? prompt = usage.PromptTokens;
        long? completion = usage.CompletionTokens;
        if (usage.TotalTokens is { } total)
        {
            prompt ??= completion is { } c ? total - c : null;
            completion ??= prompt is { } p ? total - p : null;
            if (prompt is null && completion is null)
            {
                return Saturate((Int128)Math.Max(total, 0) * Math.Max(price.InputPerToken, price.OutputPerToken));
            }
        }

        long promptTokens = Math.Max(prompt ?? 0, 0);
        long cached = Math.Clamp((long)(usage.CachedPromptTokens ?? 0), 0, promptTokens);
        Int128 cost = (Int128)(promptTokens - cached) * price.InputPerToken
            + (Int128)cached * price.CachedInputPerToken
            + (Int128)Math.Max(completion ?? 0, 0) * price.OutputPerToken;
        return Saturate(cost);
    }

    /// <summary>
    /// The most a request can cost before it is sent: every prompt token at the full input price (whether the
    /// provider's cache will hit is not known yet) and <paramref name="maxOutputTokens"/> at the output price.
    /// </summary>
    public static long WorstCase(ModelPrice price, long promptTokens, long maxOutputTokens) =>
        Saturate((Int128)Math.Max(promptTokens, 0) * price.InputPerToken +
                 (Int128)Math.Max(maxOutputTokens, 0) * price.OutputPerToken);

    private static long Saturate(Int128 picos) => picos > long.MaxValue ? long.MaxValue : (long)picos;
}
