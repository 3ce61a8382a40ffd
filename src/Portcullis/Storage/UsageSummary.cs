namespace Portcullis.Storage;

/// <summary>A usage summary: one row per group, and how many records in the same window were still pending.</summary>
internal sealed record UsageSummary(IReadOnlyList<UsageSummaryRow> Rows, long PendingRequests);
