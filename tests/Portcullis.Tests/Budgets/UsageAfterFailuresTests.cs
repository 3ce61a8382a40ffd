using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Usage is never lost: a client that leaves mid-stream is charged for what it was sent (gateway-faults.md B16), a
/// failed upstream call costs nothing and gives its reservation back, and crossing an alert threshold raises one
/// event per period, to the audit log and the webhook.
/// </summary>
public sealed class UsageAfterFailuresTests
{
    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_charged_for_the_tokens_it_was_sent_against_budget_and_limits()
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(gateway, new JsonObject { ["credit_limit"] = 5 },
            new JsonArray(new JsonObject { ["type"] = "tokens", ["unit"] = "rph", ["value"] = 100_000 }));
        gateway.Mock.Enqueue(MockScript.Sse(Enumerable.Range(0, 600).Select(i => BudgetKit.Chunk(" word" + i)),
            delayBetweenFrames: TimeSpan.FromMilliseconds(100)));
        string trace = Guid.NewGuid().ToString();
        using HttpClient client = gateway.NewClient(
            GatewayFixture.AdminKeyValue, new SocketsHttpHandler { MaxResponseDrainSize = 0 });

        // 1. Read three frames, then leave.
        HttpResponseMessage response = await client.SendAsync(
            BudgetKit.Chat(slug, BudgetKit.ChatBody(500, stream: true), trace), HttpCompletionOption.ResponseHeadersRead);
        Stream stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        while (CountFrames(seen.ToString()) < 3)
        {
            seen.Append(Encoding.UTF8.GetString(buffer, 0, await stream.ReadAsync(buffer)));
        }

        response.Dispose();

        // 2. Logged as cancelled, with counted tokens flagged as estimated, priced, and charged to the budget.
        JsonNode log = (await gateway.WaitForLogsAsync(1))[0]!;
        Assert.Equal("client_cancelled", log["outcome"]!.GetValue<string>());
        Assert.True(log["tokens_estimated"]!.GetValue<bool>());
        int prompt = log["prompt_tokens"]!.GetValue<int>();
        int completion = log["completion_tokens"]!.GetValue<int>();
        Assert.Equal(BudgetKit.PromptTokensOf(BudgetKit.ChatBody(500, stream: true)), prompt);
        Assert.InRange(completion, 3 * 2, 200);
        decimal cost = log["cost"]!.GetValue<decimal>();
        Assert.Equal((prompt * 10m + completion * 20m) / 1_000_000m, cost);
        Assert.Equal(cost, BudgetKit.Dollars((await BudgetKit.BudgetAsync(gateway, slug))["current_usage"]));

        // 3. The token limit counted them too: the next whole answer shows both calls gone from the window.
        gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(10, 5)).WithUsage(10, 5));
        using HttpClient next = gateway.NewClient(GatewayFixture.AdminKeyValue);
        using HttpResponseMessage after = await next.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(5)));
        Assert.Equal((100_000 - prompt - completion - 15).ToString(),
            after.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
    }

    [Fact]
    public async Task A_failed_upstream_call_costs_nothing_and_gives_its_reservation_back()
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(gateway, new JsonObject { ["credit_limit"] = 0.02m });
        gateway.Mock.Enqueue(MockScript.Json(500, """{"error":{"message":"boom","type":"server_error"}}"""));
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);

        using HttpResponseMessage failed = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(900)));
        await gateway.WaitForLogsAsync(1);
        gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(10, 900)).WithUsage(10, 900));
        using HttpResponseMessage retried = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(900)));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        JsonArray logs = await gateway.WaitForLogsAsync(2);
        JsonNode failedLog = logs.First(l => l!["status"]!.GetValue<int>() == 500)!;
        Assert.Equal(0m, failedLog["cost"]!.GetValue<decimal>());
        Assert.Equal(0.0181m, BudgetKit.Dollars((await BudgetKit.BudgetAsync(gateway, slug))["current_usage"]));
    }

    [Fact]
    public async Task Crossing_the_alert_threshold_records_one_event_per_period_and_calls_the_webhook()
    {
        await using MockUpstreamServer receiver = await MockUpstreamServer.StartAsync();
        await using GatewayFixture gateway = await GatewayFixture.StartAsync(
            o => o.BudgetWebhookUrl = receiver.BaseUrl + "/hooks/budget");
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(
            gateway, new JsonObject { ["credit_limit"] = 1, ["alert_threshold"] = 0.03m });
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);

        // $0.02, $0.04 (crosses), $0.06: one event.
        for (int i = 0; i < 3; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
            using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        RecordedRequest hook = await receiver.WaitForRequestAsync(1, TimeSpan.FromSeconds(10));
        await gateway.WaitForLogsAsync(3);
        await Task.Delay(300);
        Assert.Single(receiver.Requests);
        Assert.EndsWith("/hooks/budget", hook.PathAndQuery, StringComparison.Ordinal);
        JsonNode payload = JsonNode.Parse(hook.BodyText)!;
        Assert.Equal("budget.alert_threshold", payload["event"]!.GetValue<string>());
        Assert.Equal(slug, payload["virtual_key"]!.GetValue<string>());
        Assert.Equal(0.04m, payload["current_usage"]!.GetValue<decimal>());
        Assert.Equal(0.03m, payload["alert_threshold"]!.GetValue<decimal>());

        // A new period (here: reset_usage) arms the alert again.
        using HttpResponseMessage reset = await gateway.Admin.PutAsJsonAsync(
            $"/v1/virtual-keys/{slug}", new JsonObject { ["reset_usage"] = true });
        for (int i = 0; i < 2; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
            using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        }

        await receiver.WaitForRequestAsync(2, TimeSpan.FromSeconds(10));
        JsonNode audit = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/audit-logs"))!;
        Assert.Equal(2, audit["data"]!.AsArray().Count(a => a!["action"]!.GetValue<string>() == "budget.alert_threshold"));
    }

    [Fact]
    public async Task When_usage_cannot_be_recorded_the_request_is_refused_with_503_and_not_sent_upstream()
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync(o => o.StoreBusyTimeout = TimeSpan.FromSeconds(1));
        string slug = await BudgetKit.CreateKeyAsync(gateway, null);
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);

        // Another writer holds the database's write lock for longer than the gateway waits.
        await using (var holder = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(gateway.DataDirectory, "portcullis.db")};Pooling=False"))
        {
            await holder.OpenAsync();
            await using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            using HttpResponseMessage refused = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(10)));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("usage_store_unavailable", (await BudgetKit.ErrorOf(refused))["code"]!.GetValue<string>());
            Assert.Empty(gateway.Mock.Requests);
        }

        // The lock gone, requests flow again.
        using HttpResponseMessage admitted = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(10)));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    private static int CountFrames(string text) => text.Split("data:").Length - 1;
}
