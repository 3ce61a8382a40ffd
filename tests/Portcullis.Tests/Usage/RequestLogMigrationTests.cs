using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Usage;

/// <summary>A database written by the version before cost and usage were logged still starts, and gains the columns.</summary>
public sealed class RequestLogMigrationTests : IAsyncLifetime
{
    // request_logs exactly as the previous version created it.
    private const string OldRequestLogs =
        """
        CREATE TABLE request_logs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            trace_id TEXT NOT NULL,
            api_key_id TEXT NULL,
            virtual_key_slug TEXT NULL,
            provider TEXT NULL,
            model TEXT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            status INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            stream INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            prompt_tokens INTEGER NULL,
            completion_tokens INTEGER NULL,
            total_tokens INTEGER NULL,
            deployment TEXT NULL,
            upstream_model TEXT NULL);
        CREATE INDEX ix_request_logs_started_at ON request_logs (started_at);
        INSERT INTO request_logs VALUES ('old-1', '2031-03-01T10:00:00.0000000Z', 'trace-old', NULL, 'vk-old', 'openai',
            'gpt-4o', 'POST', '/v1/chat/completions', 200, 'success', 0, 12.5, 11, 7, 18, NULL, NULL);
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portcullis-migration-" + Guid.NewGuid().ToString("n"));
    private GatewayFixture? _fixture;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "portcullis.db")}");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = OldRequestLogs;
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_fixture is not null)
        {
            await _fixture.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task An_old_request_log_gains_the_cost_and_usage_columns_on_start_and_keeps_its_records()
    {
        _fixture = await GatewayFixture.StartAsync(o => o.DataDirectory = _directory);

        string[] columns = await ColumnsAsync();
        JsonNode old = (await _fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/logs?virtual_key=vk-old"))!["data"]![0]!;
        JsonNode usage = (await _fixture.Admin.GetFromJsonAsync<JsonNode>(
            "/v1/admin/usage?virtual_key=vk-old&from=2031-03-01&to=2031-03-02"))!["totals"]!;

        Assert.Contains("cost_pico", columns);
        Assert.Contains("cached_prompt_tokens", columns);
        Assert.Contains("tokens_estimated", columns);
        Assert.Equal("old-1", old["id"]!.GetValue<string>());
        Assert.Null(old["cost"]);
        Assert.False(old["tokens_estimated"]!.GetValue<bool>());
        Assert.Equal(1, usage["requests"]!.GetValue<long>());
        Assert.Equal(18, usage["total_tokens"]!.GetValue<long>());
        Assert.Equal(1, usage["unpriced_requests"]!.GetValue<long>());
    }

    private async Task<string[]> ColumnsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "portcullis.db")}");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM pragma_table_info('request_logs')";
        var names = new List<string>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return [.. names];
    }
}
