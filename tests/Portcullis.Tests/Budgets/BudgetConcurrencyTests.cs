using System.Net;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Pricing;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Hard budgets hold under concurrency (gateway-faults.md B01): the worst case of every request is reserved in one
/// atomic step before the upstream call, so parallel requests cannot all read "under budget" and all go upstream. The
/// mock upstream's own count of the tokens it produced is the ground truth for what was spent.
/// </summary>
public sealed class BudgetConcurrencyTests
{
    [Fact]
    public async Task Two_hundred_concurrent_requests_against_a_budget_for_one_hundred_admit_exactly_one_hundred()
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(gateway);
        string body = BudgetKit.ChatBody(maxTokens: 50, content: "Say something short.");
        int prompt = BudgetKit.PromptTokensOf(body);
        long worst = CostCalculator.WorstCase(BudgetKit.MockPrice, prompt, 50);
        decimal cap = Money.ToDollars(worst * 100);
        string slug = await BudgetKit.CreateKeyAsync(gateway, new JsonObject { ["credit_limit"] = cap });

        // Every answer uses the whole worst case, slowly, so all 200 are in flight together. Only 100 may reach the
        // mock; a 101st would get the mock's default answer and fail the count below.
        for (int i = 0; i < 100; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(prompt, 50), delay: TimeSpan.FromMilliseconds(300))
                .WithUsage(prompt, 50));
        }

        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);
        HttpStatusCode[] statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, body));
            return response.StatusCode;
        }));

        Assert.Equal(100, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(100, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        Assert.Equal(100, gateway.Mock.Requests.Count);

        // What the gateway recorded is what the mock says it produced, priced, and never more than the cap.
        long spent = gateway.Mock.TotalPromptTokens * BudgetKit.MockPrice.InputPerToken +
            gateway.Mock.TotalCompletionTokens * BudgetKit.MockPrice.OutputPerToken;
        await gateway.WaitForLogsAsync(200);
        JsonNode budget = await BudgetKit.BudgetAsync(gateway, slug);
        Assert.Equal(Money.ToDollars(spent), BudgetKit.Dollars(budget["current_usage"]));
        Assert.True(BudgetKit.Dollars(budget["current_usage"]) <= cap);
        Assert.Equal("exhausted", budget["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ten_concurrent_two_cent_calls_against_five_cents_let_two_through_and_release_the_rest()
    {
        await using GatewayFixture gateway = await GatewayFixture.StartAsync();
        await BudgetKit.PriceMockModelAsync(gateway);

        // A prompt of about a thousand tokens and max_tokens 500: the worst case is about $0.02, as in case B01.
        string body = BudgetKit.ChatBody(maxTokens: 500, content: string.Join(' ', Enumerable.Repeat("budget", 990)));
        int prompt = BudgetKit.PromptTokensOf(body);
        Assert.InRange(prompt, 900, 1100);
        string slug = await BudgetKit.CreateKeyAsync(gateway, new JsonObject { ["credit_limit"] = 0.05m });
        for (int i = 0; i < 2; i++)
        {
            gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(prompt, 500), delay: TimeSpan.FromMilliseconds(500))
                .WithUsage(prompt, 500));
        }

        using HttpClient client = gateway.NewClient(GatewayFixture.AdminKeyValue);
        HttpResponseMessage[] responses = await Task.WhenAll(
            Enumerable.Range(0, 10).Select(_ => client.SendAsync(BudgetKit.Chat(slug, body))));

        Assert.Equal(2, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(2, gateway.Mock.Requests.Count);
        HttpResponseMessage refused = responses.First(r => r.StatusCode == HttpStatusCode.PreconditionFailed);
        JsonNode error = await BudgetKit.ErrorOf(refused);
        Assert.Equal("virtual_key_exhaust_error", error["type"]!.GetValue<string>());
        Assert.Equal("04", error["code"]!.GetValue<string>());
        Assert.Contains(slug, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (HttpResponseMessage response in responses)
        {
            response.Dispose();
        }

        // The refused requests held nothing afterwards: a small request is judged on the real spend alone.
        gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(8, 10)).WithUsage(8, 10));
        using HttpResponseMessage small = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(maxTokens: 10)));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        await gateway.WaitForLogsAsync(11);
        JsonNode budget = await BudgetKit.BudgetAsync(gateway, slug);
        long spent = gateway.Mock.TotalPromptTokens * BudgetKit.MockPrice.InputPerToken +
            gateway.Mock.TotalCompletionTokens * BudgetKit.MockPrice.OutputPerToken;
        Assert.Equal(Money.ToDollars(spent), BudgetKit.Dollars(budget["current_usage"]));
        Assert.True(BudgetKit.Dollars(budget["current_usage"]) <= 0.05m);
    }
}
