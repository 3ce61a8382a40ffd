using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Periodic resets happen exactly once per period, never early, and also across a restart (gateway-faults.md B05).
/// A fake clock drives every boundary.
/// </summary>
public sealed class BudgetResetTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 31, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_daily_budget_set_without_a_reset_time_resets_one_day_after_it_was_set_and_not_before()
    {
        var clock = new FakeTimeProvider(T0);
        await using var gateway = new GatewayFixture { Time = clock };
        await gateway.InitializeAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(
            gateway, new JsonObject { ["credit_limit"] = 0.02m, ["periodic_reset_days"] = 1 });
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);
        for (int i = 0; i < 2; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        }

        // 1. One call spends the budget; the next is refused with the time to the reset.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, slug));
        using (HttpResponseMessage refused = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500))))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
            Assert.Equal(TimeSpan.FromDays(1), refused.Headers.RetryAfter!.Delta);
            Assert.Contains("2026-02-01T10:00:00Z", (await BudgetKit.ErrorOf(refused))["message"]!.GetValue<string>(),
                StringComparison.Ordinal);
        }

        // 2. Five minutes later: no early reset.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await StatusAsync(client, slug));
        JsonNode budget = await BudgetKit.BudgetAsync(gateway, slug);
        Assert.Equal(T0.AddDays(1), budget["next_usage_reset_at"]!.GetValue<DateTimeOffset>());

        // 3. Past the boundary: admitted, and the period holds this call's spend only; the lifetime holds both.
        clock.SetUtcNow(T0.AddDays(1).AddSeconds(1));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, slug));
        await gateway.WaitForLogsAsync(4);
        budget = await BudgetKit.BudgetAsync(gateway, slug);
        Assert.Equal(0.02m, BudgetKit.Dollars(budget["current_usage"]));
        Assert.Equal(0.04m, BudgetKit.Dollars(budget["total_usage"]));
        Assert.Equal(T0.AddDays(2), budget["next_usage_reset_at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_monthly_budget_resets_once_on_the_first_of_the_month_and_across_a_restart()
    {
        var clock = new FakeTimeProvider(T0);
        await using var gateway = new GatewayFixture { Time = clock };
        await gateway.InitializeAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(
            gateway, new JsonObject { ["credit_limit"] = 0.02m, ["periodic_reset"] = "monthly" });
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);
        for (int i = 0; i < 3; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        }

        // Spent on January 31st; February 1st 00:00 UTC resets it once, and the rest of February does not again.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, slug));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero),
            (await BudgetKit.BudgetAsync(gateway, slug))["next_usage_reset_at"]!.GetValue<DateTimeOffset>());
        clock.SetUtcNow(new DateTimeOffset(2026, 2, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, slug));
        clock.SetUtcNow(new DateTimeOffset(2026, 2, 20, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await StatusAsync(client, slug));

        // Down across the March boundary: the reset still happens, once.
        await gateway.WaitForLogsAsync(3);
        await gateway.RestartAsync(_ => clock.SetUtcNow(new DateTimeOffset(2026, 3, 5, 0, 0, 0, TimeSpan.Zero)));
        using HttpClient after = gateway.NewClient(GatewayFixture.AdminKeyValue);
        JsonNode budget = await BudgetKit.BudgetAsync(gateway, slug);
        Assert.Equal(0m, BudgetKit.Dollars(budget["current_usage"]));
        Assert.Equal(0.04m, BudgetKit.Dollars(budget["total_usage"]));
        Assert.Equal(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), budget["next_usage_reset_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(after, slug));
        Assert.Equal(HttpStatusCode.PreconditionFailed, await StatusAsync(after, slug));
    }

    [Fact]
    public async Task Turning_on_a_reset_period_keeps_the_usage_and_counts_the_first_period_from_that_moment()
    {
        var clock = new FakeTimeProvider(T0);
        await using var gateway = new GatewayFixture { Time = clock };
        await gateway.InitializeAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string slug = await BudgetKit.CreateKeyAsync(gateway, new JsonObject { ["credit_limit"] = 0.02m });
        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);
        gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, slug));
        await gateway.WaitForLogsAsync(1);

        clock.Advance(TimeSpan.FromHours(3));
        using HttpResponseMessage changed = await gateway.Admin.PutAsync($"/v1/virtual-keys/{slug}", GatewayFixture.Json(
            """{"usage_limits":{"credit_limit":0.02,"periodic_reset_days":7}}"""));
        JsonNode budget = JsonNode.Parse(await changed.Content.ReadAsStringAsync())!["usage_limits"]!;

        Assert.Equal(0.02m, BudgetKit.Dollars(budget["current_usage"]));
        Assert.Equal(T0.AddHours(3), budget["last_reset_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(T0.AddHours(3).AddDays(7), budget["next_usage_reset_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(HttpStatusCode.PreconditionFailed, await StatusAsync(client, slug));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string slug)
    {
        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(500)));
        return response.StatusCode;
    }
}
