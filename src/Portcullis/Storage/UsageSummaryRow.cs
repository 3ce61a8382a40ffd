namespace Portcullis.Storage;

/// <summary>
/// The sums over one group of completed request-log records (pending ones are counted apart). <see cref="Key"/> is the
/// group's value: a virtual-key slug, an API key id, a model or a UTC day (<c>yyyy-MM-dd</c>); null for records
/// without one (a pass-through request has no virtual key). Token sums count what was recorded, estimated or not.
/// </summary>
internal sealed record UsageSummaryRow
{
    public string? Key { get; init; }

    public long Requests { get; init; }

    public long PromptTokens { get; init; }

    public long CachedPromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>The reported totals, or prompt plus completion tokens for records without one.</summary>
    public long TotalTokens { get; init; }

    /// <summary>
    /// The sum of the known costs in picodollars; requests without a price add nothing (see <see cref="UnpricedRequests"/>).
    /// </summary>
    public long CostPico { get; init; }

    /// <summary>Requests whose tokens Portcullis counted itself.</summary>
    public long EstimatedRequests { get; init; }

    /// <summary>Requests that used tokens but carry no cost as no price was known: money the sum does not hold.</summary>
    public long UnpricedRequests { get; init; }

    /// <summary>Adds rows field by field into one row without a key; exact, as every field is an integer.</summary>
    public static UsageSummaryRow Sum(IEnumerable<UsageSummaryRow> rows)
    {
        var total = new UsageSummaryRow();
        foreach (UsageSummaryRow row in rows)
        {
            total = total with
            {
                Requests = total.Requests + row.Requests,
                PromptTokens = total.PromptTokens + row.PromptTokens,
                CachedPromptTokens = total.CachedPromptTokens + row.CachedPromptTokens,
                CompletionTokens = total.CompletionTokens + row.CompletionTokens,
                TotalTokens = total.TotalTokens + row.TotalTokens,
                CostPico = checked(total.CostPico + row.CostPico),
                EstimatedRequests = total.EstimatedRequests + row.EstimatedRequests,
                UnpricedRequests = total.UnpricedRequests + row.UnpricedRequests,
            };
        }

        return total;
    }
}
