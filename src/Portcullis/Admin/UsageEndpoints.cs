using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.ApiKeys;
using Portcullis.Pricing;
using Portcullis.Storage;

namespace Portcullis.Admin;

/// <summary>
/// <c>GET /v1/admin/usage</c>: requests, tokens and cost from the request log, summed per virtual key, API key, model
/// or UTC day over a window (the last 30 days unless <c>from</c>/<c>to</c> say otherwise). Records still pending are
/// left out of every sum and counted in <c>pending_requests</c>.
/// </summary>
internal static class UsageEndpoints
{
    /// <summary>The window when the caller names no <c>from</c>: 30 days, the span of a monthly bill.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    private static readonly Dictionary<string, UsageGrouping> Groupings = new(StringComparer.Ordinal)
    {
        ["virtual_key"] = UsageGrouping.VirtualKey,
        ["api_key"] = UsageGrouping.ApiKey,
        ["model"] = UsageGrouping.Model,
        ["day"] = UsageGrouping.Day,
    };

    public static void Map(RouteGroupBuilder v1) =>
        v1.MapGet("/admin/usage", Summarize).WithScope(Scopes.UsageRead);

    private static async Task<IResult> Summarize(
        HttpContext context, IGatewayStore store, Workspaces.WorkspaceAccess access, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // 1. What to group by; per virtual key unless asked otherwise.
        string groupBy = RequestLogQuery.Value(context.Request, "group_by") ?? "virtual_key";
        if (!Groupings.TryGetValue(groupBy, out UsageGrouping grouping))
        {
            throw AdminProblem.Validation($"group_by must be one of {string.Join(", ", Groupings.Keys)}.");
        }

        // 2. The window: a missing end is now, a missing start is 30 days before the end.
        var caller = context.Actor();
        RequestLogFilter filter = await RequestLogQuery.ReadScopedAsync(context.Request, caller, access, cancellationToken);
        DateTimeOffset to = (filter.To ?? time.GetUtcNow()).ToUniversalTime();
        DateTimeOffset from = (filter.From ?? to - DefaultWindow).ToUniversalTime();
        if (from >= to)
        {
            throw AdminProblem.Validation("from must be earlier than to; without to, the window ends now.");
        }

        // 3. Sums per group come from SQL; the totals add the groups (integers, so exactly).
        UsageSummary summary = await store.SummarizeUsageAsync(grouping, filter with { From = from, To = to }, cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["object"] = "list",
            ["group_by"] = groupBy,
            ["from"] = from,
            ["to"] = to,
            ["pending_requests"] = summary.PendingRequests,
            ["data"] = summary.Rows.Select(Row).ToArray(),
            ["totals"] = Totals(summary.Rows),
        });
    }

    private static Dictionary<string, object?> Totals(IReadOnlyList<UsageSummaryRow> rows)
    {
        Dictionary<string, object?> totals = Row(UsageSummaryRow.Sum(rows));
        totals.Remove("key");
        return totals;
    }

    private static Dictionary<string, object?> Row(UsageSummaryRow row) => new()
    {
        ["key"] = row.Key,
        ["requests"] = row.Requests,
        ["prompt_tokens"] = row.PromptTokens,
        ["cached_prompt_tokens"] = row.CachedPromptTokens,
        ["completion_tokens"] = row.CompletionTokens,
        ["total_tokens"] = row.TotalTokens,
        ["cost"] = Money.ToDollars(row.CostPico),
        ["estimated_requests"] = row.EstimatedRequests,
        ["unpriced_requests"] = row.UnpricedRequests,
    };
}
