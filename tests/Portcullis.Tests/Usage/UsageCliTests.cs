using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Storage;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Usage;

/// <summary><c>portcullis usage</c> and the cost column of <c>portcullis logs</c>, run as the real program.</summary>
public sealed class UsageCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static readonly string[] Header =
    [
        "model", "requests", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "total_tokens", "cost",
        "estimated_requests", "unpriced_requests",
    ];

    [Fact]
    public async Task Usage_prints_a_table_with_a_header_a_row_per_group_and_a_total()
    {
        string slug = LogRecords.Unique("vk");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await InsertAsync(
            LogRecords.Make(now.AddHours(-1), slug, model: "gpt-4o", prompt: 10, completion: 5, costPico: 100_000_000_000),
            LogRecords.Make(now.AddHours(-2), slug, model: "gpt-4o", prompt: 20, completion: 1, costPico: 200_000_000_000),
            LogRecords.Make(now.AddHours(-3), slug, model: "o3", prompt: 1, completion: 2, costPico: null, estimated: true),
            LogRecords.Make(now.AddDays(-40), slug, model: "o3", costPico: 999));

        CliResult result = await Cli(["usage", "--by", "model", "--virtual-key", slug]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[][] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t')).ToArray();
        Assert.Equal(Header, lines[0]);
        Assert.Equal(["gpt-4o", "2", "30", "0", "6", "36", "0.3", "0", "0"], lines[1]);
        Assert.Equal(["o3", "1", "1", "0", "2", "3", "0", "1", "1"], lines[2]);
        Assert.Equal(["total", "3", "31", "0", "8", "39", "0.3", "1", "1"], lines[3]);
        Assert.StartsWith("window: from ", lines[4][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_with_json_and_a_window_prints_the_gateway_answer()
    {
        string slug = LogRecords.Unique("vk");
        await InsertAsync(
            LogRecords.Make(new DateTimeOffset(2030, 6, 1, 8, 0, 0, TimeSpan.Zero), slug, costPico: 5),
            LogRecords.Make(new DateTimeOffset(2030, 6, 2, 8, 0, 0, TimeSpan.Zero), slug, costPico: 7));

        CliResult result = await Cli(
            ["usage", "--by", "day", "--virtual-key", slug, "--from", "2030-06-01", "--to", "2030-06-02T08:00:00Z", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode answer = JsonNode.Parse(result.StandardOutput)!;
        Assert.Equal("day", answer["group_by"]!.GetValue<string>());
        JsonNode row = Assert.Single(answer["data"]!.AsArray())!;
        Assert.Equal("2030-06-01", row["key"]!.GetValue<string>());
        Assert.Equal(0.000000000005m, row["cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Usage_with_an_unknown_grouping_is_a_usage_error()
    {
        CliResult result = await Cli(["usage", "--by", "week"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("week", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_with_a_date_the_gateway_refuses_exits_one_with_its_message()
    {
        CliResult result = await Cli(["usage", "--from", "last tuesday"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("from must be an ISO 8601", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_show_the_cost_and_mark_estimated_tokens()
    {
        string slug = LogRecords.Unique("vk");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await InsertAsync(
            LogRecords.Make(now.AddMinutes(-1), slug, costPico: 2_500_000, estimated: true),
            LogRecords.Make(now.AddMinutes(-2), slug, costPico: null));

        CliResult result = await Cli(["logs", "--virtual-key", slug]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        string[] estimated = lines[0].Split('\t');
        string[] reported = lines[1].Split('\t');
        Assert.Equal("0.0000025", estimated[6]);
        Assert.Equal("estimated", estimated[^1]);
        Assert.Equal("-", reported[6]);
        Assert.DoesNotContain("estimated", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_page_through_a_long_list_and_say_when_more_follow()
    {
        string slug = LogRecords.Unique("vk");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await InsertAsync([.. Enumerable.Range(1, 5).Select(i => LogRecords.Make(now.AddMinutes(-i), slug, costPico: i))]);

        CliResult first = await Cli(["logs", "--virtual-key", slug, "--limit", "2"]);
        CliResult last = await Cli(["logs", "--virtual-key", slug, "--limit", "2", "--page", "2"]);

        Assert.True(first.ExitCode == 0, first.ToString());
        string[] lines = first.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("(2 of 5; the next page: --page 1)", lines[2]);
        string[] lastLines = last.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lastLines);
    }

    private Task InsertAsync(params RequestLogRecord[] records) =>
        fixture.Gateway.App.Services.GetRequiredService<IGatewayStore>().InsertRequestLogsAsync(records, CancellationToken.None);

    private Task<CliResult> Cli(string[] args) => fixture.RunCliAsync(args);
}
