using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    // Grouped by key and by "still pending", so one query (one snapshot) gives both the sums over completed records
    // and the count of pending ones. Integer sums are exact, and SQLite raises an error rather than overflow.
    private const string UsageAggregates =
        """
        outcome = 'pending' AS pending,
        COUNT(*) AS requests,
        COALESCE(SUM(prompt_tokens), 0),
        COALESCE(SUM(cached_prompt_tokens), 0),
        COALESCE(SUM(completion_tokens), 0),
        COALESCE(SUM(COALESCE(total_tokens, COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0))), 0),
        COALESCE(SUM(cost_pico), 0) AS cost,
        COALESCE(SUM(tokens_estimated), 0),
        COALESCE(SUM(CASE WHEN cost_pico IS NULL
            AND COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0) + COALESCE(total_tokens, 0) > 0
            THEN 1 ELSE 0 END), 0)
        """;

    public async Task<UsageSummary> SummarizeUsageAsync(
        UsageGrouping grouping, RequestLogFilter filter, CancellationToken cancellationToken)
    {
        // started_at is UTC ISO 8601 text, so its first ten characters are the UTC calendar day.
        (string key, string order) = grouping switch
        {
            UsageGrouping.VirtualKey => ("virtual_key_slug", "cost DESC, requests DESC, group_key"),
            UsageGrouping.ApiKey => ("api_key_id", "cost DESC, requests DESC, group_key"),
            UsageGrouping.Model => ("model", "cost DESC, requests DESC, group_key"),
            UsageGrouping.Day => ("substr(started_at, 1, 10)", "group_key"),
            _ => throw new ArgumentOutOfRangeException(nameof(grouping), grouping, "Unknown usage grouping."),
        };

        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        // Pending rows are read too: they are counted apart, in the same snapshot.
        string where = RequestLogWhere(filter with { IncludePending = true }, command);
        command.CommandText =
            $"SELECT {key} AS group_key, {UsageAggregates} FROM request_logs {where} GROUP BY group_key, pending ORDER BY {order}";

        var rows = new List<UsageSummaryRow>();
        long pending = 0;
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt64(1) != 0)
            {
                pending += reader.GetInt64(2);
                continue;
            }

            rows.Add(new UsageSummaryRow
            {
                Key = ReadOptionalString(reader, 0),
                Requests = reader.GetInt64(2),
                PromptTokens = reader.GetInt64(3),
                CachedPromptTokens = reader.GetInt64(4),
                CompletionTokens = reader.GetInt64(5),
                TotalTokens = reader.GetInt64(6),
                CostPico = reader.GetInt64(7),
                EstimatedRequests = reader.GetInt64(8),
                UnpricedRequests = reader.GetInt64(9),
            });
        }

        return new UsageSummary(rows, pending);
    }
}
