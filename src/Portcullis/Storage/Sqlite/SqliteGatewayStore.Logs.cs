using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string RequestLogColumns =
        "id, started_at, trace_id, api_key_id, virtual_key_slug, provider, model, method, path, status, outcome, stream, " +
        "latency_ms, prompt_tokens, completion_tokens, total_tokens, deployment, upstream_model, cost_pico, " +
        "cached_prompt_tokens, tokens_estimated, workspace_id";

    // The request-log writer is a single background reader, so it keeps one connection and prepared statements.
    private SqliteConnection? _logConnection;
    private SqliteCommand? _logInsert;

    public Task InsertRequestLogsAsync(IReadOnlyList<RequestLogRecord> records, CancellationToken cancellationToken) =>
        WriteLedgerAsync(records.Select(r => new Usage.LedgerEntry { Log = r }).ToArray(), cancellationToken);

    private async Task<SqliteConnection> LogConnectionAsync(CancellationToken cancellationToken)
    {
        if (_logConnection is not null && _logInsert is not null)
        {
            return _logConnection;
        }

        _logConnection = await OpenAsync(cancellationToken);
        _logInsert = _logConnection.CreateCommand();

        // A pending row is completed in place: the same id is written again with the final values.
        _logInsert.CommandText =
            $"""
            INSERT INTO request_logs ({RequestLogColumns})
            VALUES ($id, $at, $trace, $key, $slug, $provider, $model, $method, $path, $status, $outcome, $stream,
                    $latency, $prompt, $completion, $total, $deployment, $upstreamModel, $cost, $cached, $estimated,
                    $workspace)
            ON CONFLICT (id) DO UPDATE SET
                api_key_id = excluded.api_key_id, virtual_key_slug = excluded.virtual_key_slug,
                provider = excluded.provider, model = excluded.model, status = excluded.status,
                outcome = excluded.outcome, stream = excluded.stream, latency_ms = excluded.latency_ms,
                prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                total_tokens = excluded.total_tokens, deployment = excluded.deployment,
                upstream_model = excluded.upstream_model, cost_pico = excluded.cost_pico,
                cached_prompt_tokens = excluded.cached_prompt_tokens, tokens_estimated = excluded.tokens_estimated,
                workspace_id = excluded.workspace_id
            WHERE request_logs.outcome = 'pending'
            """;
        foreach (string name in (ReadOnlySpan<string>)["$id", "$at", "$trace", "$key", "$slug", "$provider", "$model",
            "$method", "$path", "$status", "$outcome", "$stream", "$latency", "$prompt", "$completion", "$total",
            "$deployment", "$upstreamModel", "$cost", "$cached", "$estimated", "$workspace"])
        {
            _logInsert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _logInsert.Prepare();
        PrepareLedgerStatements(_logConnection);
        return _logConnection;
    }

    private async Task WriteLogRowAsync(RequestLogRecord r, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        _logInsert!.Transaction = transaction;
        SqliteParameterCollection p = _logInsert.Parameters;
        p[0].Value = r.Id;
        p[1].Value = Time(r.StartedAt);
        p[2].Value = r.TraceId;
        p[3].Value = (object?)r.ApiKeyId ?? DBNull.Value;
        p[4].Value = (object?)r.VirtualKeySlug ?? DBNull.Value;
        p[5].Value = (object?)r.Provider ?? DBNull.Value;
        p[6].Value = (object?)r.Model ?? DBNull.Value;
        p[7].Value = r.Method;
        p[8].Value = r.Path;
        p[9].Value = r.Status;
        p[10].Value = r.Outcome;
        p[11].Value = r.Stream ? 1 : 0;
        p[12].Value = r.LatencyMs;
        p[13].Value = (object?)r.PromptTokens ?? DBNull.Value;
        p[14].Value = (object?)r.CompletionTokens ?? DBNull.Value;
        p[15].Value = (object?)r.TotalTokens ?? DBNull.Value;
        p[16].Value = (object?)r.Deployment ?? DBNull.Value;
        p[17].Value = (object?)r.UpstreamModel ?? DBNull.Value;
        p[18].Value = (object?)r.CostPico ?? DBNull.Value;
        p[19].Value = (object?)r.CachedPromptTokens ?? DBNull.Value;
        p[20].Value = r.TokensEstimated ? 1 : 0;
        p[21].Value = (object?)r.WorkspaceId ?? DBNull.Value;
        await _logInsert.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ResetLogConnectionAsync()
    {
        _logInsert?.Dispose();
        DisposeLedgerStatements();
        if (_logConnection is not null)
        {
            await _logConnection.DisposeAsync();
        }

        _logInsert = null;
        _logConnection = null;
    }

    public Task<Page<RequestLogRecord>> ListRequestLogsAsync(int offset, int limit, CancellationToken cancellationToken) =>
        ListRequestLogsAsync(RequestLogFilter.None, offset, limit, cancellationToken);

    public async Task<Page<RequestLogRecord>> ListRequestLogsAsync(
        RequestLogFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);

        // Count and page read one snapshot, so the total matches the pages a client walks.
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        long total;
        await using (SqliteCommand count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = $"SELECT COUNT(*) FROM request_logs {RequestLogWhere(filter, count)}";
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            $"SELECT {RequestLogColumns} FROM request_logs {RequestLogWhere(filter, command)} " +
            "ORDER BY started_at DESC, id LIMIT $limit OFFSET $offset";
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$offset", offset);
        var items = new List<RequestLogRecord>();
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadRequestLog(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new Page<RequestLogRecord>(items, total);
    }

    // The WHERE clause of a filter, with its values bound to the command as parameters (never spliced into the SQL).
    private static string RequestLogWhere(RequestLogFilter filter, SqliteCommand command)
    {
        var conditions = new List<string>(5);
        void Add(string condition, string name, object value)
        {
            conditions.Add(condition);
            command.Parameters.AddWithValue(name, value);
        }

        if (filter.VirtualKeySlug is { } slug)
        {
            Add("virtual_key_slug = $filterSlug", "$filterSlug", slug);
        }

        if (filter.ApiKeyId is { } apiKeyId)
        {
            Add("api_key_id = $filterApiKey", "$filterApiKey", apiKeyId);
        }

        if (filter.Model is { } model)
        {
            Add("model = $filterModel", "$filterModel", model);
        }

        if (filter.WorkspaceId is { } workspaceId)
        {
            Add("COALESCE(workspace_id, 'default') = $filterWorkspace", "$filterWorkspace", workspaceId);
        }

        if (filter.From is { } from)
        {
            Add("started_at >= $filterFrom", "$filterFrom", Time(from));
        }

        if (filter.To is { } to)
        {
            Add("started_at < $filterTo", "$filterTo", Time(to));
        }

        if (!filter.IncludePending)
        {
            conditions.Add("outcome <> 'pending'");
        }

        return conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

    private static RequestLogRecord ReadRequestLog(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        StartedAt = ReadTime(reader, 1),
        TraceId = reader.GetString(2),
        ApiKeyId = ReadOptionalString(reader, 3),
        VirtualKeySlug = ReadOptionalString(reader, 4),
        Provider = ReadOptionalString(reader, 5),
        Model = ReadOptionalString(reader, 6),
        Method = reader.GetString(7),
        Path = reader.GetString(8),
        Status = reader.GetInt32(9),
        Outcome = reader.GetString(10),
        Stream = reader.GetInt32(11) != 0,
        LatencyMs = reader.GetDouble(12),
        PromptTokens = ReadOptionalInt(reader, 13),
        CompletionTokens = ReadOptionalInt(reader, 14),
        TotalTokens = ReadOptionalInt(reader, 15),
        Deployment = ReadOptionalString(reader, 16),
        UpstreamModel = ReadOptionalString(reader, 17),
        CostPico = reader.IsDBNull(18) ? null : reader.GetInt64(18),
        CachedPromptTokens = ReadOptionalInt(reader, 19),
        TokensEstimated = reader.GetInt32(20) != 0,
        WorkspaceId = ReadOptionalString(reader, 21),
    };

    public async Task AppendAuditAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            """
            INSERT INTO audit_log (at, actor_key_id, action, target_type, target_id, detail)
            VALUES ($at, $actor, $action, $type, $target, $detail)
            """,
            ("$at", Time(record.At)),
            ("$actor", record.ActorKeyId),
            ("$action", record.Action),
            ("$type", record.TargetType),
            ("$target", record.TargetId),
            ("$detail", record.Detail));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<Page<AuditRecord>> ListAuditAsync(int offset, int limit, CancellationToken cancellationToken) =>
        ListPageAsync(
            "audit_log", "id, at, actor_key_id, action, target_type, target_id, detail", "id DESC", offset, limit, ReadAudit,
            cancellationToken);

    private static AuditRecord ReadAudit(SqliteDataReader reader) => new(
        reader.GetInt64(0), ReadTime(reader, 1), ReadOptionalString(reader, 2), reader.GetString(3), reader.GetString(4),
        reader.GetString(5), ReadOptionalString(reader, 6));

}
