using Portcullis.Limits;
using Microsoft.Data.Sqlite;
using Portcullis.Vault;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string VirtualKeyColumns =
        "id, slug, workspace_id, name, provider, note, status, secret_id, key_mask, custom_host, custom_header_names, " +
        "custom_headers_secret_id, created_at, updated_at, expires_at, provider_config, usage_limits, rate_limits, integration_id";

    public async Task CreateVirtualKeyAsync(
        VirtualKeyRecord record, IReadOnlyList<SealedSecret> newSecrets, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (SealedSecret secret in newSecrets)
        {
            await UpsertSecretAsync(connection, transaction, secret, at, cancellationToken);
        }

        await InsertVirtualKeyAsync(connection, transaction, record, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // One row of virtual_keys inside the caller's transaction; a slug taken fails with SQLite's constraint error (19).
    private static async Task InsertVirtualKeyAsync(
        SqliteConnection connection, SqliteTransaction transaction, VirtualKeyRecord record,
        CancellationToken cancellationToken)
    {
        await using SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO virtual_keys ({VirtualKeyColumns})
            VALUES ($id, $slug, $ws, $name, $provider, $note, $status, $secret, $mask, $host, $headers, $headersSecret,
                    $created, $updated, $expires, $providerConfig, $usageLimits, $rateLimits, $integration)
            """,
            VirtualKeyParameters(record));
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> UpdateVirtualKeyAsync(
        VirtualKeyRecord record, IReadOnlyList<SealedSecret> upsertSecrets, DateTimeOffset expectedUpdatedAt,
        CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (SqliteCommand command = Command(
            connection,
            """
            UPDATE virtual_keys SET name = $name, provider = $provider, note = $note, status = $status, secret_id = $secret,
                key_mask = $mask, custom_host = $host, custom_header_names = $headers,
                custom_headers_secret_id = $headersSecret, updated_at = $updated, expires_at = $expires,
                provider_config = $providerConfig, usage_limits = $usageLimits, rate_limits = $rateLimits
            WHERE slug = $slug AND updated_at = $expected
            """,
            [.. VirtualKeyParameters(record), ("$expected", Time(expectedUpdatedAt))]))
        {
            command.Transaction = transaction;
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }

        foreach (SealedSecret secret in upsertSecrets)
        {
            await UpsertSecretAsync(connection, transaction, secret, record.UpdatedAt, cancellationToken);
        }

        if (record.SecretId is not null)
        {
            await using SqliteCommand masks = Command(
                connection, "UPDATE virtual_keys SET key_mask = $mask WHERE secret_id = $secret",
                ("$mask", record.KeyMask), ("$secret", record.SecretId));
            masks.Transaction = transaction;
            await masks.ExecuteNonQueryAsync(cancellationToken);
        }

        await DeleteOrphanSecretsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> DeleteVirtualKeyAsync(string slug, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        int deleted;
        await using (SqliteCommand command = Command(connection, "DELETE FROM virtual_keys WHERE slug = $slug", ("$slug", slug)))
        {
            command.Transaction = transaction;
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (SqliteCommand prices = Command(connection, "DELETE FROM model_prices WHERE scope = $slug", ("$slug", slug)))
        {
            prices.Transaction = transaction;
            await prices.ExecuteNonQueryAsync(cancellationToken);
        }

        await DeleteOrphanSecretsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    public async Task<VirtualKeyRecord?> GetVirtualKeyAsync(string slug, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {VirtualKeyColumns} FROM virtual_keys WHERE slug = $slug", ("$slug", slug));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadVirtualKey(reader) : null;
    }

    public Task<Page<VirtualKeyRecord>> ListVirtualKeysAsync(int offset, int limit, CancellationToken cancellationToken) =>
        ListPageAsync("virtual_keys", VirtualKeyColumns, "created_at, id", offset, limit, ReadVirtualKey, cancellationToken);

    // Secrets of virtual keys no virtual key references any more.
    private static Task DeleteOrphanSecretsAsync(
        SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken) =>
        DeleteOrphanSecretsAsync(
            connection, transaction, "virtual_keys", SecretPurpose.ProviderKey, SecretPurpose.CustomHeaders, cancellationToken);

    /// <summary>Deletes the secrets of two purposes that no row of <paramref name="table"/> references any more.</summary>
    private static async Task DeleteOrphanSecretsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string table, string keyPurpose, string headersPurpose,
        CancellationToken cancellationToken)
    {
        await using SqliteCommand command = Command(
            connection,
            $"""
            DELETE FROM secrets
            WHERE purpose IN ($key, $headers)
              AND id NOT IN (SELECT secret_id FROM {table} WHERE secret_id IS NOT NULL)
              AND id NOT IN (SELECT custom_headers_secret_id FROM {table} WHERE custom_headers_secret_id IS NOT NULL)
            """,
            ("$key", keyPurpose), ("$headers", headersPurpose));
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static (string, object?)[] VirtualKeyParameters(VirtualKeyRecord record) =>
    [
        ("$id", record.Id),
        ("$slug", record.Slug),
        ("$ws", record.WorkspaceId),
        ("$name", record.Name),
        ("$provider", record.Provider),
        ("$note", record.Note),
        ("$status", record.Status),
        ("$secret", record.SecretId),
        ("$mask", record.KeyMask),
        ("$host", record.CustomHost),
        ("$headers", ToJsonArray(record.CustomHeaderNames)),
        ("$headersSecret", record.CustomHeadersSecretId),
        ("$created", Time(record.CreatedAt)),
        ("$updated", Time(record.UpdatedAt)),
        ("$expires", Time(record.ExpiresAt)),
        ("$providerConfig", record.ProviderConfig),
        ("$usageLimits", LimitsJson.SerializeUsageLimits(record.UsageLimits)),
        ("$rateLimits", LimitsJson.SerializeRateLimits(record.RateLimits)),
        ("$integration", record.IntegrationId),
    ];

    private static VirtualKeyRecord ReadVirtualKey(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Slug = reader.GetString(1),
        WorkspaceId = reader.GetString(2),
        Name = reader.GetString(3),
        Provider = reader.GetString(4),
        Note = ReadOptionalString(reader, 5),
        Status = reader.GetString(6),
        SecretId = ReadOptionalString(reader, 7),
        KeyMask = reader.GetString(8),
        CustomHost = ReadOptionalString(reader, 9),
        CustomHeaderNames = FromJsonArray(reader.GetString(10)),
        CustomHeadersSecretId = ReadOptionalString(reader, 11),
        CreatedAt = ReadTime(reader, 12),
        UpdatedAt = ReadTime(reader, 13),
        ExpiresAt = ReadOptionalTime(reader, 14),
        ProviderConfig = ReadOptionalString(reader, 15),
        UsageLimits = ReadUsageLimits(reader, 16),
        RateLimits = ReadRateLimits(reader, 17),
        IntegrationId = ReadOptionalString(reader, 18),
    };
}
