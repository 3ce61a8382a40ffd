using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>, so an acknowledged write survives a
/// power cut. Split into partial files by concern. Connections come from Microsoft.Data.Sqlite's pool.
/// </summary>
internal sealed partial class SqliteGatewayStore : IGatewayStore
{
    private readonly string _connectionString;

    private readonly int _busyTimeoutMs;

    /// <param name="busyTimeout">How long a write waits for another writer's lock before it fails (default 30 s).</param>
    public SqliteGatewayStore(string databasePath, TimeSpan? busyTimeout = null)
    {
        DatabasePath = databasePath;
        _busyTimeoutMs = (int)(busyTimeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, _busyTimeoutMs / 1000),
        }.ToString();
    }

    public string DatabasePath { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
        foreach (string statement in SqliteSchema.Statements)
        {
            await ExecuteAsync(connection, statement, cancellationToken);
        }

        // Databases made by an earlier version get the columns added since.
        foreach ((string table, string column, string definition) in SqliteSchema.AddedColumns)
        {
            await using SqliteCommand probe = Command(
                connection, "SELECT COUNT(*) FROM pragma_table_info($table) WHERE name = $column", ("$table", table), ("$column", column));
            if ((long)(await probe.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN {column} {definition}", cancellationToken);
            }
        }

        foreach (string statement in SqliteSchema.IndexesOnAddedColumns)
        {
            await ExecuteAsync(connection, statement, cancellationToken);
        }
    }

    public async Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(connection, "SELECT value FROM settings WHERE name = $name", ("$name", name));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<bool> TryInitializeSettingAsync(string name, string value, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            "INSERT INTO settings (name, value) VALUES ($name, $value) ON CONFLICT (name) DO NOTHING",
            ("$name", name),
            ("$value", value));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(
            connection, $"PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={_busyTimeoutMs};", cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One page of a table, newest or oldest first as <paramref name="orderBy"/> says, and the total count.</summary>
    private async Task<Page<T>> ListPageAsync<T>(
        string table, string columns, string orderBy, int offset, int limit, Func<SqliteDataReader, T> read,
        CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        long total;
        await using (SqliteCommand count = Command(connection, $"SELECT COUNT(*) FROM {table}"))
        {
            total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        await using SqliteCommand command = Command(
            connection,
            $"SELECT {columns} FROM {table} ORDER BY {orderBy} LIMIT $limit OFFSET $offset",
            ("$limit", limit),
            ("$offset", offset));
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(read(reader));
        }

        return new Page<T>(items, total);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? value) => value is { } v ? Time(v) : null;

    private static DateTimeOffset ReadTime(SqliteDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static DateTimeOffset? ReadOptionalTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    private static string? ReadOptionalString(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static int? ReadOptionalInt(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static IReadOnlyList<Limits.UsageLimit> ReadUsageLimits(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : Limits.LimitsJson.DeserializeUsageLimits(reader.GetString(ordinal));

    private static IReadOnlyList<Limits.RateLimit> ReadRateLimits(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : Limits.LimitsJson.DeserializeRateLimits(reader.GetString(ordinal));

    private static string ToJsonArray(IReadOnlyList<string> values) => JsonSerializer.Serialize(values);

    private static IReadOnlyList<string> FromJsonArray(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    public override string ToString() => $"SQLite store at {DatabasePath}";
}
