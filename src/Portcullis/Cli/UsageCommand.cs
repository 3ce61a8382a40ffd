using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis usage</c>: the usage summary of a running gateway (<c>GET /v1/admin/usage</c>) as a tab-separated
/// table with a header, one row per group and a total row, then the window and any requests still pending.
/// </summary>
internal static class UsageCommand
{
    private static readonly string[] Columns =
    [
        "requests", "prompt_tokens", "cached_prompt_tokens", "completion_tokens", "total_tokens", "cost",
        "estimated_requests", "unpriced_requests",
    ];

    public static Command Create(Option<bool> json)
    {
        var by = new Option<string>("--by")
        {
            Description = "One row per virtual-key, api-key, model or day (UTC).",
            DefaultValueFactory = _ => "virtual-key",
        };
        by.AcceptOnlyFromAmong("virtual-key", "api-key", "model", "day");
        var filter = new LogFilterOptions();
        var command = new Command(
            "usage", "Requests, tokens and cost (USD) per virtual key, API key, model or day; the last 30 days by default.")
        {
            by,
        };
        filter.AddTo(command);

        command.SetAction((r, ct) => PortcullisCli.WithClient(client =>
        {
            string groupBy = r.GetValue(by)!.Replace('-', '_');
            return client.SendAsync(HttpMethod.Get, $"/v1/admin/usage?group_by={groupBy}{filter.Query(r)}", null,
                r.GetValue(json), Table, ct);
        }));
        return command;
    }

    private static string Table(JsonNode summary)
    {
        var text = new StringBuilder();
        text.AppendJoin('\t', [summary["group_by"]?.ToString() ?? "key", .. Columns]).AppendLine();
        if (summary["data"] is JsonArray rows)
        {
            foreach (JsonNode? row in rows)
            {
                text.AppendLine(PortcullisCli.Row(row, ["key", .. Columns]));
            }
        }

        text.AppendJoin('\t', ["total", PortcullisCli.Row(summary["totals"], Columns)]).AppendLine();
        text.Append($"window: from {summary["from"]} to {summary["to"]} (to exclusive); cost in USD");
        if (summary["pending_requests"]?.GetValue<long>() is > 0 and long pending)
        {
            text.AppendLine().Append($"{pending} request(s) still pending are not counted above.");
        }

        return text.ToString();
    }
}
