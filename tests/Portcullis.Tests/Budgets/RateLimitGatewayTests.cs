using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Rate limits on virtual keys and API keys through the real data plane, with a fake clock: token windows count real
/// tokens (gateway-faults.md B11), refusals are 429 with Retry-After and OpenAI's x-ratelimit headers, and successful
/// answers carry the same headers.
/// </summary>
public sealed class RateLimitGatewayTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = new GatewayFixture { Time = _clock };
        await _gateway.InitializeAsync();
        await BudgetKit.PriceMockModelAsync(_gateway);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_token_limit_counts_real_tokens_refuses_when_spent_and_admits_again_after_the_window()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null, new JsonArray(
            new JsonObject { ["type"] = "tokens", ["unit"] = "rpm", ["value"] = 1000 },
            new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 500 }));
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        var remaining = new List<long>();

        // 1. Ten calls of 100 tokens each (60 in, 40 out), streamed and not in turn.
        for (int call = 1; call <= 10; call++)
        {
            bool stream = call % 2 == 1;
            _gateway.Mock.Enqueue(stream
                ? MockScript.Sse([BudgetKit.Chunk("x", "stop"), BudgetKit.UsageChunk(60, 40)]).WithUsage(60, 40)
                : MockScript.Json(200, BudgetKit.ChatAnswer(60, 40)).WithUsage(60, 40));
            using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(stream: stream)));
            await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("1000", Header(response, "x-ratelimit-limit-tokens"));
            Assert.Equal("500", Header(response, "x-ratelimit-limit-requests"));
            Assert.Equal((500 - call).ToString(), Header(response, "x-ratelimit-remaining-requests"));
            remaining.Add(long.Parse(Header(response, "x-ratelimit-remaining-tokens")!));
            await _gateway.WaitForLogsAsync(call);
        }

        // A whole answer settles before its headers, so they show what is really left; a stream's headers go first
        // and show what was left minus the request's own input tokens.
        Assert.Equal([800, 600, 400, 200, 0], remaining.Where((_, i) => i % 2 == 1));
        Assert.All(remaining.Where((_, i) => i % 2 == 0).Select((value, i) => (value, i)),
            p => Assert.InRange(p.value, 1000 - (200 * p.i) - 100, 1000 - (200 * p.i) - 1));

        // 2. The eleventh is refused, with the wait and the headers.
        using (HttpResponseMessage refused = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody())))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            JsonNode error = await BudgetKit.ErrorOf(refused);
            Assert.Equal("virtual_key_rate_limit_error", error["type"]!.GetValue<string>());
            Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
            Assert.Equal("0", Header(refused, "x-ratelimit-remaining-tokens"));
        }

        Assert.Equal(10, _gateway.Mock.Requests.Count);

        // 3. One window later: admitted again, no longer lockout.
        _clock.Advance(TimeSpan.FromSeconds(60));
        using HttpResponseMessage again = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task An_api_key_request_limit_refuses_the_third_call_in_a_minute_and_no_request_reaches_the_upstream()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        using HttpResponseMessage created = await _gateway.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", new JsonObject
        {
            ["name"] = "limited",
            ["scopes"] = new JsonArray("completions.write"),
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 2 }),
        });
        JsonNode key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        using HttpClient client = _gateway.NewClient(key["key"]!.GetValue<string>());

        using HttpResponseMessage first = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        _clock.Advance(TimeSpan.FromSeconds(20));
        using HttpResponseMessage second = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        using HttpResponseMessage third = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));

        Assert.Equal("1", Header(first, "x-ratelimit-remaining-requests"));
        Assert.Equal("0", Header(second, "x-ratelimit-remaining-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("api_key_rate_limit_error", (await BudgetKit.ErrorOf(third))["type"]!.GetValue<string>());
        Assert.Equal("true", Header(third, "x-portkey-gateway-exception"));

        // The first call leaves the window 60 s after it was made: 40 s from now.
        Assert.Equal(TimeSpan.FromSeconds(40), third.Headers.RetryAfter!.Delta);
        Assert.Equal(2, _gateway.Mock.Requests.Count);
    }

    [Fact]
    public async Task Responses_api_is_answered_404_and_never_passed_through_unmetered()
    {
        using HttpClient client = _gateway.NewClient(GatewayFixture.AdminKeyValue);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = GatewayFixture.Json("""{"model":"mock-model","input":"hi","stream":true}"""),
        };
        request.Headers.Add("x-portkey-virtual-key", await BudgetKit.CreateKeyAsync(_gateway, null));

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", (await BudgetKit.ErrorOf(response))["type"]!.GetValue<string>());
        Assert.Empty(_gateway.Mock.Requests);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
}
