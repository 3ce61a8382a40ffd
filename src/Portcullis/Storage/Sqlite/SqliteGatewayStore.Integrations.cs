using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portcullis.Catalog;
using Portcullis.Limits;
using Portcullis.Providers;
using Portcullis.Vault;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string IntegrationColumns =
        "id, slug, workspace_id, name, ai_provider_id, description, status, secret_id, key_mask, custom_host, " +
        "custom_header_names, custom_headers_secret_id, configurations, allow_all_models, models, created_at, updated_at";

    public async Task CreateIntegrationAsync(
        IntegrationRecord record, IReadOnlyList<SealedSecret> newSecrets, CancellationToken cancellationToken,
        IReadOnlyList<VirtualKeyRecord>? newProviders = null)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (SealedSecret secret in newSecrets)
        {
            await UpsertSecretAsync(connection, transaction, secret, record.CreatedAt, cancellationToken);
        }

        await using (SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO integrations ({IntegrationColumns})
            VALUES ($id, $slug, $ws, $name, $provider, $description, $status, $secret, $mask, $host, $headers,
                    $headersSecret, $config, $allowAll, $models, $created, $updated)
            """,
            IntegrationParameters(record)))
        {
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await WriteGrantsAsync(connection, transaction, record, cancellationToken);
        foreach (VirtualKeyRecord provider in newProviders ?? [])
        {
            await InsertVirtualKeyAsync(connection, transaction, provider, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> UpdateIntegrationAsync(
        IntegrationRecord record, IReadOnlyList<SealedSecret> upsertSecrets, DateTimeOffset expectedUpdatedAt,
        CancellationToken cancellationToken, IReadOnlyList<VirtualKeyRecord>? newProviders = null)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // 1. Secrets first: the row below may start referring to a new one.
        foreach (SealedSecret secret in upsertSecrets)
        {
            await UpsertSecretAsync(connection, transaction, secret, record.UpdatedAt, cancellationToken);
        }

        // 2. The row, only if nobody changed it since it was read.
        await using (SqliteCommand command = Command(
            connection,
            """
            UPDATE integrations SET name = $name, description = $description, status = $status, secret_id = $secret,
                key_mask = $mask, custom_host = $host, custom_header_names = $headers,
                custom_headers_secret_id = $headersSecret, configurations = $config, allow_all_models = $allowAll,
                models = $models, updated_at = $updated
            WHERE id = $id AND updated_at = $expected
            """,
            [.. IntegrationParameters(record), ("$expected", Time(expectedUpdatedAt))]))
        {
            command.Transaction = transaction;
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }

        // 3. Its providers show the integration's key: a rotation changes their mask too.
        await using (SqliteCommand masks = Command(
            connection, "UPDATE virtual_keys SET key_mask = $mask WHERE integration_id = $id",
            ("$mask", record.KeyMask), ("$id", record.Id)))
        {
            masks.Transaction = transaction;
            await masks.ExecuteNonQueryAsync(cancellationToken);
        }

        // 4. Workspace grants are replaced as a whole, new default providers added, and secrets the row no longer
        // names are deleted.
        await WriteGrantsAsync(connection, transaction, record, cancellationToken);
        foreach (VirtualKeyRecord provider in newProviders ?? [])
        {
            await InsertVirtualKeyAsync(connection, transaction, provider, cancellationToken);
        }

        await DeleteOrphanIntegrationSecretsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> DeleteIntegrationAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // Its providers go with it (the service refuses unless asked to cascade), then the row, then its secrets.
        await using (SqliteCommand providers = Command(
            connection, "DELETE FROM virtual_keys WHERE integration_id = $id", ("$id", id)))
        {
            providers.Transaction = transaction;
            await providers.ExecuteNonQueryAsync(cancellationToken);
        }

        int deleted;
        await using (SqliteCommand command = Command(connection, "DELETE FROM integrations WHERE id = $id", ("$id", id)))
        {
            command.Transaction = transaction;
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await DeleteOrphanIntegrationSecretsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    public async Task<IntegrationRecord?> GetIntegrationAsync(string slug, CancellationToken cancellationToken) =>
        (await ReadIntegrationsAsync("WHERE slug = $value", slug, cancellationToken)).FirstOrDefault();

    public async Task<IntegrationRecord?> GetIntegrationByIdAsync(string id, CancellationToken cancellationToken) =>
        (await ReadIntegrationsAsync("WHERE id = $value", id, cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<IntegrationRecord>> ListIntegrationsAsync(CancellationToken cancellationToken) =>
        ReadIntegrationsAsync("", null, cancellationToken);

    public async Task<IReadOnlyList<VirtualKeyRecord>> ListProvidersOfIntegrationAsync(
        string integrationId, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            $"SELECT {VirtualKeyColumns} FROM virtual_keys WHERE integration_id = $id ORDER BY created_at, id",
            ("$id", integrationId));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<VirtualKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(ReadVirtualKey(reader));
        }

        return records;
    }

    private async Task<IReadOnlyList<IntegrationRecord>> ReadIntegrationsAsync(
        string where, string? value, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        var records = new List<IntegrationRecord>();
        await using (SqliteCommand command = Command(
            connection, $"SELECT {IntegrationColumns} FROM integrations {where} ORDER BY created_at, id", ("$value", value)))
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                records.Add(ReadIntegration(reader));
            }
        }

        if (records.Count == 0)
        {
            return records;
        }

        // The grants of the integrations read, in one query.
        var grants = new Dictionary<string, List<IntegrationGrant>>(StringComparer.Ordinal);
        await using (SqliteCommand command = Command(
            connection,
            "SELECT integration_id, workspace_id, enabled, usage_limits, rate_limits FROM integration_workspaces " +
            (value is null ? "" : "WHERE integration_id = $id ") + "ORDER BY integration_id, workspace_id",
            ("$id", records[0].Id)))
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                string integrationId = reader.GetString(0);
                var grant = new IntegrationGrant(
                    reader.GetString(1), reader.GetInt64(2) != 0, ReadUsageLimits(reader, 3), ReadRateLimits(reader, 4));
                if (!grants.TryGetValue(integrationId, out List<IntegrationGrant>? list))
                {
                    grants[integrationId] = list = [];
                }

                list.Add(grant);
            }
        }

        return records
            .Select(r => grants.TryGetValue(r.Id, out List<IntegrationGrant>? g) ? r with { Grants = g } : r)
            .ToArray();
    }

    private static async Task WriteGrantsAsync(
        SqliteConnection connection, SqliteTransaction transaction, IntegrationRecord record,
        CancellationToken cancellationToken)
    {
        await using (SqliteCommand clear = Command(
            connection, "DELETE FROM integration_workspaces WHERE integration_id = $id", ("$id", record.Id)))
        {
            clear.Transaction = transaction;
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (IntegrationGrant grant in record.Grants)
        {
            await using SqliteCommand insert = Command(
                connection,
                """
                INSERT INTO integration_workspaces (integration_id, workspace_id, enabled, usage_limits, rate_limits)
                VALUES ($id, $ws, $enabled, $usage, $rates)
                """,
                ("$id", record.Id),
                ("$ws", grant.WorkspaceId),
                ("$enabled", grant.Enabled ? 1 : 0),
                ("$usage", LimitsJson.SerializeUsageLimits(grant.UsageLimits)),
                ("$rates", LimitsJson.SerializeRateLimits(grant.RateLimits)));
            insert.Transaction = transaction;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static Task DeleteOrphanIntegrationSecretsAsync(
        SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
        DeleteOrphanSecretsAsync(connection, transaction, "integrations", SecretPurpose.IntegrationKey,
            SecretPurpose.IntegrationHeaders, cancellationToken);

    private static (string, object?)[] IntegrationParameters(IntegrationRecord record) =>
    [
        ("$id", record.Id),
        ("$slug", record.Slug),
        ("$ws", record.WorkspaceId),
        ("$name", record.Name),
        ("$provider", record.AiProviderId),
        ("$description", record.Description),
        ("$status", record.Status),
        ("$secret", record.SecretId),
        ("$mask", record.KeyMask),
        ("$host", record.CustomHost),
        ("$headers", ToJsonArray(record.CustomHeaderNames)),
        ("$headersSecret", record.CustomHeadersSecretId),
        ("$config", JsonSerializer.Serialize(
            new StoredIntegrationConfig(record.OpenAiOrganization, record.OpenAiProject, record.Azure))),
        ("$allowAll", record.AllowAllModels ? 1 : 0),
        ("$models", JsonSerializer.Serialize(record.Models)),
        ("$created", Time(record.CreatedAt)),
        ("$updated", Time(record.UpdatedAt)),
    ];

    private static IntegrationRecord ReadIntegration(SqliteDataReader reader)
    {
        StoredIntegrationConfig? config = reader.IsDBNull(12)
            ? null
            : JsonSerializer.Deserialize<StoredIntegrationConfig>(reader.GetString(12));
        return new IntegrationRecord
        {
            Id = reader.GetString(0),
            Slug = reader.GetString(1),
            WorkspaceId = ReadOptionalString(reader, 2),
            Name = reader.GetString(3),
            AiProviderId = reader.GetString(4),
            Description = ReadOptionalString(reader, 5),
            Status = reader.GetString(6),
            SecretId = ReadOptionalString(reader, 7),
            KeyMask = reader.GetString(8),
            CustomHost = ReadOptionalString(reader, 9),
            CustomHeaderNames = FromJsonArray(reader.GetString(10)),
            CustomHeadersSecretId = ReadOptionalString(reader, 11),
            OpenAiOrganization = config?.OpenAiOrganization,
            OpenAiProject = config?.OpenAiProject,
            Azure = config?.Azure,
            AllowAllModels = reader.GetInt64(13) != 0,
            Models = JsonSerializer.Deserialize<IntegrationModel[]>(reader.GetString(14)) ?? [],
            CreatedAt = ReadTime(reader, 15),
            UpdatedAt = ReadTime(reader, 16),
        };
    }

    // The configuration that is not secret, as one JSON column.
    private sealed record StoredIntegrationConfig(string? OpenAiOrganization, string? OpenAiProject, AzureConfig? Azure);
}
