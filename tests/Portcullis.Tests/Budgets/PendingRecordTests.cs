using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Hosting;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// The pending usage record is on disk while the upstream still works on the request: for every request by default,
/// and with <see cref="UsageDurability.Budgeted"/> only for requests a budget applies to.
/// </summary>
public sealed class PendingRecordTests
{
    [Theory]
    [InlineData(UsageDurability.Always, false, true)]
    [InlineData(UsageDurability.Always, true, true)]
    [InlineData(UsageDurability.Budgeted, false, false)]
    [InlineData(UsageDurability.Budgeted, true, true)]
    public async Task A_request_at_the_upstream_has_its_pending_record_in_the_database_when_the_mode_asks_for_it(
        UsageDurability mode, bool budgeted, bool expectPending)
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync(o => o.UsageDurability = mode);
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(gateway, budgeted ? new JsonObject { ["credit_limit"] = 1 } : null);
        gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(10, 10), delay: TimeSpan.FromSeconds(2)));
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);

        Task<HttpResponseMessage> inFlight = client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(10)));
        await gateway.Mock.WaitForRequestAsync(1, TimeSpan.FromSeconds(10));
        JsonNode during = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/logs?include_pending=true"))!;
        JsonNode hidden = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/logs"))!;
        using HttpResponseMessage response = await inFlight;

        Assert.Equal(expectPending ? 1 : 0, during["data"]!.AsArray().Count(l => l!["outcome"]!.GetValue<string>() == "pending"));
        Assert.Empty(hidden["data"]!.AsArray());
        JsonNode done = (await gateway.WaitForLogsAsync(1))[0]!;
        Assert.Equal("success", done["outcome"]!.GetValue<string>());
    }
}
