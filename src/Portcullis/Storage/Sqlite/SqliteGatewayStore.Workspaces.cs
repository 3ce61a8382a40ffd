using Microsoft.Data.Sqlite;
using Portcullis.Limits;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string WorkspaceColumns =
        "id, name, description, status, metadata, usage_limits, rate_limits, created_at, updated_at";

    public async Task<bool> InsertWorkspaceAsync(WorkspaceRecord record, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO workspaces ({WorkspaceColumns})
            VALUES ($id, $name, $description, $status, $metadata, $usageLimits, $rateLimits, $created, $updated)
            ON CONFLICT (id) DO NOTHING
            """,
            WorkspaceParameters(record));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<WorkspaceRecord?> GetWorkspaceAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {WorkspaceColumns} FROM workspaces WHERE id = $id", ("$id", id));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadWorkspace(reader) : null;
    }

    public async Task<Page<WorkspaceRecord>> ListWorkspacesAsync(
        string? onlyId, string? nameContains, int offset, int limit, CancellationToken cancellationToken)
    {
        var conditions = new List<string>(2);
        var parameters = new List<(string, object?)>(2);
        if (onlyId is not null)
        {
            conditions.Add("id = $only");
            parameters.Add(("$only", onlyId));
        }

        if (nameContains is not null)
        {
            // Portkey's name filter is a case-sensitive substring match; instr() is exactly that in SQLite.
            conditions.Add("instr(name, $name) > 0");
            parameters.Add(("$name", nameContains));
        }

        string where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        return await ListWhereAsync(
            "workspaces", WorkspaceColumns, where, parameters, "created_at, id", offset, limit, ReadWorkspace,
            cancellationToken);
    }

    public async Task<bool> UpdateWorkspaceAsync(
        WorkspaceRecord record, DateTimeOffset expectedUpdatedAt, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            """
            UPDATE workspaces SET name = $name, description = $description, status = $status, metadata = $metadata,
                usage_limits = $usageLimits, rate_limits = $rateLimits, updated_at = $updated
            WHERE id = $id AND updated_at = $expected
            """,
            [.. WorkspaceParameters(record), ("$expected", Time(expectedUpdatedAt))]);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<WorkspaceContents> GetWorkspaceContentsAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        WorkspaceContents contents = await ReadContentsAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return contents;
    }

    public async Task<WorkspaceContents?> DeleteWorkspaceAsync(string id, bool cascade, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // 1. What it holds, read inside the transaction that deletes, so nothing created meanwhile is left orphaned.
        WorkspaceContents contents = await ReadContentsAsync(connection, transaction, id, cancellationToken);
        if (!contents.IsEmpty && !cascade)
        {
            await transaction.RollbackAsync(cancellationToken);
            return contents;
        }

        // 2. Its keys and their prices, its integrations and every integration's grant to it, then the workspace;
        //    request logs stay as the record of what happened.
        foreach (string sql in (string[])[
            "DELETE FROM model_prices WHERE scope IN (SELECT slug FROM virtual_keys WHERE workspace_id = $id)",
            "DELETE FROM virtual_keys WHERE workspace_id = $id",
            "DELETE FROM api_keys WHERE workspace_id = $id",
            """
            DELETE FROM integration_workspaces
            WHERE workspace_id = $id OR integration_id IN (SELECT id FROM integrations WHERE workspace_id = $id)
            """,
            "DELETE FROM integrations WHERE workspace_id = $id",
        ])
        {
            await using SqliteCommand command = Command(connection, sql, ("$id", id));
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int deleted;
        await using (SqliteCommand command = Command(connection, "DELETE FROM workspaces WHERE id = $id", ("$id", id)))
        {
            command.Transaction = transaction;
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (deleted == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        await DeleteOrphanSecretsAsync(connection, transaction, cancellationToken);
        await DeleteOrphanIntegrationSecretsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return contents;
    }

    public Task<Page<VirtualKeyRecord>> ListVirtualKeysAsync(
        string? workspaceId, int offset, int limit, CancellationToken cancellationToken) =>
        workspaceId is null
            ? ListVirtualKeysAsync(offset, limit, cancellationToken)
            : ListWhereAsync("virtual_keys", VirtualKeyColumns, "WHERE workspace_id = $ws", [("$ws", workspaceId)],
                "created_at, id", offset, limit, ReadVirtualKey, cancellationToken);

    public Task<Page<ApiKeyRecord>> ListApiKeysAsync(
        string? workspaceId, bool workspaceTypesOnly, int offset, int limit, CancellationToken cancellationToken)
    {
        var conditions = new List<string>(2);
        var parameters = new List<(string, object?)>(1);
        if (workspaceId is not null)
        {
            conditions.Add("workspace_id = $ws");
            parameters.Add(("$ws", workspaceId));
        }

        if (workspaceTypesOnly)
        {
            conditions.Add("type LIKE 'workspace-%'");
        }

        string where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        return ListWhereAsync("api_keys", ApiKeyColumns, where, parameters, "created_at, id", offset, limit, ReadApiKey,
            cancellationToken);
    }

    private async Task<WorkspaceContents> ReadContentsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string id, CancellationToken cancellationToken)
    {
        var virtualKeys = new List<VirtualKeyRecord>();
        await using (SqliteCommand command = Command(
            connection, $"SELECT {VirtualKeyColumns} FROM virtual_keys WHERE workspace_id = $id ORDER BY created_at, id",
            ("$id", id)))
        {
            command.Transaction = transaction;
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                virtualKeys.Add(ReadVirtualKey(reader));
            }
        }

        var apiKeys = new List<ApiKeyRecord>();
        await using (SqliteCommand command = Command(
            connection, $"SELECT {ApiKeyColumns} FROM api_keys WHERE workspace_id = $id ORDER BY created_at, id", ("$id", id)))
        {
            command.Transaction = transaction;
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                apiKeys.Add(ReadApiKey(reader));
            }
        }

        var integrations = new List<string>();
        await using (SqliteCommand command = Command(
            connection, "SELECT slug FROM integrations WHERE workspace_id = $id ORDER BY created_at, id", ("$id", id)))
        {
            command.Transaction = transaction;
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                integrations.Add(reader.GetString(0));
            }
        }

        return new WorkspaceContents(virtualKeys, apiKeys, integrations);
    }

    /// <summary>One page of the rows a WHERE clause selects (values bound as parameters), and how many it selects.</summary>
    private async Task<Page<T>> ListWhereAsync<T>(
        string table, string columns, string where, IReadOnlyList<(string Name, object? Value)> parameters, string orderBy,
        int offset, int limit, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        long total;
        await using (SqliteCommand count = Command(connection, $"SELECT COUNT(*) FROM {table} {where}", [.. parameters]))
        {
            count.Transaction = transaction;
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var items = new List<T>();
        await using (SqliteCommand command = Command(
            connection, $"SELECT {columns} FROM {table} {where} ORDER BY {orderBy} LIMIT $limit OFFSET $offset",
            [.. parameters, ("$limit", limit), ("$offset", offset)]))
        {
            command.Transaction = transaction;
            await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(read(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new Page<T>(items, total);
    }

    private static (string, object?)[] WorkspaceParameters(WorkspaceRecord record) =>
    [
        ("$id", record.Id),
        ("$name", record.Name),
        ("$description", record.Description),
        ("$status", record.Status),
        ("$metadata", record.Metadata),
        ("$usageLimits", LimitsJson.SerializeUsageLimits(record.UsageLimits)),
        ("$rateLimits", LimitsJson.SerializeRateLimits(record.RateLimits)),
        ("$created", Time(record.CreatedAt)),
        ("$updated", Time(record.UpdatedAt)),
    ];

    private static WorkspaceRecord ReadWorkspace(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Name = reader.GetString(1),
        Description = ReadOptionalString(reader, 2),
        Status = reader.GetString(3),
        Metadata = ReadOptionalString(reader, 4),
        UsageLimits = ReadUsageLimits(reader, 5),
        RateLimits = ReadRateLimits(reader, 6),
        CreatedAt = ReadTime(reader, 7),
        UpdatedAt = ReadTime(reader, 8),
    };
}
