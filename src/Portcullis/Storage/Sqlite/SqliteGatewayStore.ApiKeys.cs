using Portcullis.Limits;
using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string ApiKeyColumns =
        "id, workspace_id, name, description, type, scopes, key_hash, key_mask, status, created_at, updated_at, expires_at, " +
        "usage_limits, rate_limits, public_id, previous_key_hash, previous_key_expires_at, allowed_virtual_keys, allowed_models";

    public async Task InsertApiKeyAsync(ApiKeyRecord record, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO api_keys ({ApiKeyColumns})
            VALUES ($id, $ws, $name, $description, $type, $scopes, $hash, $mask, $status, $created, $updated, $expires,
                    $usageLimits, $rateLimits, $publicId, $previousHash, $previousExpires, $allowedVirtualKeys,
                    $allowedModels)
            """,
            ApiKeyParameters(record));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ApiKeyRecord?> GetApiKeyAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {ApiKeyColumns} FROM api_keys WHERE id = $id", ("$id", id));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadApiKey(reader) : null;
    }

    public async Task<ApiKeyRecord?> FindApiKeyByHashAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_hash = $hash", ("$hash", keyHash));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadApiKey(reader) : null;
    }

    public async Task<ApiKeyRecord?> FindApiKeyByPublicIdAsync(string publicId, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {ApiKeyColumns} FROM api_keys WHERE public_id = $publicId", ("$publicId", publicId));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadApiKey(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysRecognisedByHashAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            $"SELECT {ApiKeyColumns} FROM api_keys WHERE public_id IS NULL OR previous_key_hash IS NOT NULL ORDER BY id");
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ReadApiKey(reader));
        }

        return keys;
    }

    public Task<Page<ApiKeyRecord>> ListApiKeysAsync(int offset, int limit, CancellationToken cancellationToken) =>
        ListPageAsync("api_keys", ApiKeyColumns, "created_at, id", offset, limit, ReadApiKey, cancellationToken);

    public async Task<bool> UpdateApiKeyAsync(ApiKeyRecord record, DateTimeOffset expectedUpdatedAt, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            """
            UPDATE api_keys SET name = $name, description = $description, scopes = $scopes, status = $status,
                updated_at = $updated, expires_at = $expires, usage_limits = $usageLimits, rate_limits = $rateLimits,
                key_hash = $hash, key_mask = $mask, public_id = $publicId, previous_key_hash = $previousHash,
                previous_key_expires_at = $previousExpires, allowed_virtual_keys = $allowedVirtualKeys,
                allowed_models = $allowedModels
            WHERE id = $id AND updated_at = $expected
            """,
            [.. ApiKeyParameters(record), ("$expected", Time(expectedUpdatedAt))]);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeleteApiKeyAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(connection, "DELETE FROM api_keys WHERE id = $id", ("$id", id));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static (string, object?)[] ApiKeyParameters(ApiKeyRecord record) =>
    [
        ("$id", record.Id),
        ("$ws", record.WorkspaceId),
        ("$name", record.Name),
        ("$description", record.Description),
        ("$type", record.Type),
        ("$scopes", ToJsonArray(record.Scopes)),
        ("$hash", record.KeyHash),
        ("$mask", record.KeyMask),
        ("$status", record.Status),
        ("$created", Time(record.CreatedAt)),
        ("$updated", Time(record.UpdatedAt)),
        ("$expires", Time(record.ExpiresAt)),
        ("$usageLimits", LimitsJson.SerializeUsageLimits(record.UsageLimits)),
        ("$rateLimits", LimitsJson.SerializeRateLimits(record.RateLimits)),
        ("$publicId", record.PublicId),
        ("$previousHash", record.PreviousKeyHash),
        ("$previousExpires", Time(record.PreviousKeyExpiresAt)),
        ("$allowedVirtualKeys", record.AllowedVirtualKeys is null ? null : ToJsonArray(record.AllowedVirtualKeys)),
        ("$allowedModels", record.AllowedModels is null ? null : ToJsonArray(record.AllowedModels)),
    ];

    private static ApiKeyRecord ReadApiKey(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        WorkspaceId = reader.GetString(1),
        Name = reader.GetString(2),
        Description = ReadOptionalString(reader, 3),
        Type = reader.GetString(4),
        Scopes = FromJsonArray(reader.GetString(5)),
        KeyHash = (byte[])reader[6],
        KeyMask = reader.GetString(7),
        Status = reader.GetString(8),
        CreatedAt = ReadTime(reader, 9),
        UpdatedAt = ReadTime(reader, 10),
        ExpiresAt = ReadOptionalTime(reader, 11),
        UsageLimits = ReadUsageLimits(reader, 12),
        RateLimits = ReadRateLimits(reader, 13),
        PublicId = ReadOptionalString(reader, 14),
        PreviousKeyHash = reader.IsDBNull(15) ? null : (byte[])reader[15],
        PreviousKeyExpiresAt = ReadOptionalTime(reader, 16),
        AllowedVirtualKeys = ReadOptionalString(reader, 17) is { } slugs ? FromJsonArray(slugs) : null,
        AllowedModels = ReadOptionalString(reader, 18) is { } models ? FromJsonArray(models) : null,
    };
}
