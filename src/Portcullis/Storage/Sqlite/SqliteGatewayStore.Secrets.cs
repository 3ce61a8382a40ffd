using Microsoft.Data.Sqlite;
using Portcullis.Vault;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string SecretColumns = "id, purpose, workspace_id, master_key_version, wrapped_data_key, ciphertext";

    public async Task<IReadOnlyList<MasterKeyCheck>> GetMasterKeyChecksAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, "SELECT version, key_check, created_at, retired_at FROM master_keys ORDER BY version");
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var checks = new List<MasterKeyCheck>();
        while (await reader.ReadAsync(cancellationToken))
        {
            checks.Add(new MasterKeyCheck(
                reader.GetInt32(0), (byte[])reader[1], ReadTime(reader, 2), ReadOptionalTime(reader, 3)));
        }

        return checks;
    }

    public async Task AddMasterKeyCheckAsync(int version, byte[] check, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            "INSERT INTO master_keys (version, key_check, created_at) VALUES ($v, $c, $at) ON CONFLICT (version) DO NOTHING",
            ("$v", version),
            ("$c", check),
            ("$at", Time(at)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RetireMasterKeyAsync(int version, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, "UPDATE master_keys SET retired_at = $at WHERE version = $v", ("$v", version), ("$at", Time(at)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task InsertSecretAsync(SealedSecret secret, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await UpsertSecretAsync(connection, null, secret, at, cancellationToken);
    }

    public async Task<SealedSecret?> GetSecretAsync(string id, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {SecretColumns} FROM secrets WHERE id = $id", ("$id", id));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSecret(reader) : null;
    }

    public async Task<IReadOnlyList<SealedSecret>> ListSecretsAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(connection, $"SELECT {SecretColumns} FROM secrets ORDER BY id");
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var secrets = new List<SealedSecret>();
        while (await reader.ReadAsync(cancellationToken))
        {
            secrets.Add(ReadSecret(reader));
        }

        return secrets;
    }

    public async Task<IReadOnlyList<string>> ListSecretIdsNotAtVersionAsync(
        int version, int limit, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            "SELECT id FROM secrets WHERE master_key_version <> $v ORDER BY id LIMIT $limit",
            ("$v", version),
            ("$limit", limit));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public async Task<bool> TryRewrapSecretAsync(SealedSecret rewrapped, int expectedVersion, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            """
            UPDATE secrets SET master_key_version = $v, wrapped_data_key = $k
            WHERE id = $id AND master_key_version = $expected AND ciphertext = $c
            """,
            ("$v", rewrapped.MasterKeyVersion),
            ("$k", rewrapped.WrappedDataKey),
            ("$id", rewrapped.Id),
            ("$expected", expectedVersion),
            ("$c", rewrapped.Ciphertext));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<long> CountSecretsAtVersionAsync(int version, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, "SELECT COUNT(*) FROM secrets WHERE master_key_version = $v", ("$v", version));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task UpsertSecretAsync(
        SqliteConnection connection, SqliteTransaction? transaction, SealedSecret secret, DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        await using SqliteCommand command = Command(
            connection,
            """
            INSERT INTO secrets (id, purpose, workspace_id, master_key_version, wrapped_data_key, ciphertext, created_at, updated_at)
            VALUES ($id, $purpose, $ws, $v, $k, $c, $at, $at)
            ON CONFLICT (id) DO UPDATE SET
                master_key_version = excluded.master_key_version,
                wrapped_data_key = excluded.wrapped_data_key,
                ciphertext = excluded.ciphertext,
                updated_at = excluded.updated_at
            """,
            ("$id", secret.Id),
            ("$purpose", secret.Purpose),
            ("$ws", secret.WorkspaceId),
            ("$v", secret.MasterKeyVersion),
            ("$k", secret.WrappedDataKey),
            ("$c", secret.Ciphertext),
            ("$at", Time(at)));
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SealedSecret ReadSecret(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), (byte[])reader[4], (byte[])reader[5]);
}
