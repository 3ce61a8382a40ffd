namespace Portcullis.Pricing;

/// <summary>
/// How a model name a client sends is matched to a catalog entry: exactly (ignoring case), then without a dated
/// snapshot suffix, so <c>gpt-4o-2024-08-06</c> is priced as <c>gpt-4o</c> and <c>claude-sonnet-4-5-20250929</c> as
/// <c>claude-sonnet-4-5</c>. Anthropic's <c>-latest</c> aliases (<c>claude-3-5-haiku-latest</c>) count as a suffix too.
/// </summary>
internal static class ModelNames
{
    /// <summary>The longest model name the catalog files (admin input is held to it as well).</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// The name without its snapshot suffix (<c>-YYYY-MM-DD</c>, <c>-YYYYMMDD</c> or <c>-latest</c>), as a slice of the
    /// same characters; an empty span when the name has no such suffix. Allocates nothing.
    /// </summary>
    public static ReadOnlySpan<char> WithoutSnapshotSuffix(ReadOnlySpan<char> model)
    {
        // -2024-08-06
        if (model.Length > 11 && model[^11] == '-' && IsDigits(model[^10..^6]) && model[^6] == '-' &&
            IsDigits(model[^5..^3]) && model[^3] == '-' && IsDigits(model[^2..]))
        {
            return model[..^11];
        }

        // -20250929
        if (model.Length > 9 && model[^9] == '-' && IsDigits(model[^8..]))
        {
            return model[..^9];
        }

        return model.Length > 7 && model.EndsWith("-latest", StringComparison.OrdinalIgnoreCase) ? model[..^7] : [];
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
