using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string RequestLogColumns =
        "id, started_at, trace_id, api_key_id, virtual_key_slug, provider, model, method, path, status, outcome, stream, " +
        "latency_ms, prompt_tokens, completion_tokens, total_tokens, deployment, upstream_model";

    // The request-log writer is a single background reader, so it keeps one connection and one prepared statement.
    private SqliteConnection? _logConnection;
    private SqliteCommand? _logInsert;

    public async Task InsertRequestLogsAsync(IReadOnlyList<RequestLogRecord> records, CancellationToken cancellationToken)
    {
        if (_logConnection is null || _logInsert is null)
        {
            _logConnection = await OpenAsync(cancellationToken);
            _logInsert = _logConnection.CreateCommand();
            _logInsert.CommandText =
                $"""
                INSERT INTO request_logs ({RequestLogColumns})
                VALUES ($id, $at, $trace, $key, $slug, $provider, $model, $method, $path, $status, $outcome, $stream,
                        $latency, $prompt, $completion, $total, $deployment, $upstreamModel)
                ON CONFLICT (id) DO NOTHING
                """;
            foreach (string name in (ReadOnlySpan<string>)["$id", "$at", "$trace", "$key", "$slug", "$provider", "$model",
                "$method", "$path", "$status", "$outcome", "$stream", "$latency", "$prompt", "$completion", "$total",
                "$deployment", "$upstreamModel"])
            {
                _logInsert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _logInsert.Prepare();
        }

        try
        {
            await using var transaction = (SqliteTransaction)await _logConnection.BeginTransactionAsync(cancellationToken);
            _logInsert.Transaction = transaction;
            SqliteParameterCollection p = _logInsert.Parameters;
            foreach (RequestLogRecord r in records)
            {
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
                await _logInsert.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // A broken connection is rebuilt on the next batch.
            _logInsert.Dispose();
            await _logConnection.DisposeAsync();
            _logInsert = null;
            _logConnection = null;
            throw;
        }
    }

    public Task<Page<RequestLogRecord>> ListRequestLogsAsync(int offset, int limit, CancellationToken cancellationToken) =>
        ListPageAsync("request_logs", RequestLogColumns, "started_at DESC, id", offset, limit, ReadRequestLog, cancellationToken);

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
