using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Portcullis.MockUpstream;
using Portcullis.Tests.Budgets;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.ApiKeys;

/// <summary>
/// <c>POST /v1/api-keys/{id}/rotate</c> through the real gateway with a fake clock: both secrets work during the
/// transition against one key (one budget, one rate-limit counter, one api_key_id in the logs); then only the new one.
/// </summary>
public sealed class ApiKeyRotationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero));
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = new GatewayFixture { Time = _clock };
        await _gateway.InitializeAsync();
        await BudgetKit.PriceMockModelAsync(_gateway);
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task Both_secrets_share_one_budget_and_one_counter_during_the_transition_then_only_the_new_one_works()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        JsonNode created = await CreateAsync(new JsonObject
        {
            ["name"] = "rotating",
            ["scopes"] = new JsonArray("completions.write"),
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 10 },
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 2 }),
        });
        string id = created["id"]!.GetValue<string>();
        string oldKey = created["key"]!.GetValue<string>();

        // 1. Rotate with the reference's minimum transition.
        using HttpResponseMessage rotation = await _gateway.Admin.PostAsJsonAsync(
            $"/v1/api-keys/{id}/rotate", new JsonObject { ["key_transition_period_ms"] = 1_800_000 });
        JsonNode rotated = JsonNode.Parse(await rotation.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, rotation.StatusCode);
        string newKey = rotated["key"]!.GetValue<string>();
        Assert.Equal(id, rotated["id"]!.GetValue<string>());
        Assert.Equal("api-key", rotated["object"]!.GetValue<string>());
        Assert.Equal(_clock.GetUtcNow().AddMinutes(30), rotated["key_transition_expires_at"]!.GetValue<DateTimeOffset>());
        Assert.NotEqual(oldKey, newKey);

        // 2. Old and new both answer; each call costs $0.02 and both land on the same budget and counter.
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        _gateway.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(1000, 500)).WithUsage(1000, 500));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(oldKey, slug));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(newKey, slug));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChatAsync(oldKey, slug));
        JsonArray logs = await _gateway.WaitForLogsAsync(3);
        Assert.All(logs.Take(3), log => Assert.Equal(id, log!["api_key_id"]!.GetValue<string>()));
        JsonNode key = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;
        Assert.Equal(0.04m, BudgetKit.Dollars(key["usage_limits"]!["current_usage"]));

        // 3. Still inside the transition a minute before its end; after it only the new secret works.
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(oldKey, slug));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(oldKey, slug));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(newKey, slug));
    }

    [Fact]
    public async Task A_transition_of_zero_ends_the_old_secret_at_once()
    {
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        JsonNode created = await CreateAsync(new JsonObject { ["name"] = "leaked", ["scopes"] = new JsonArray("completions.write") });
        string oldKey = created["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(oldKey, slug));

        using HttpResponseMessage rotation = await _gateway.Admin.PostAsJsonAsync(
            $"/v1/api-keys/{created["id"]}/rotate", new JsonObject { ["key_transition_period_ms"] = 0 });
        JsonNode rotated = JsonNode.Parse(await rotation.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, rotation.StatusCode);
        Assert.Null(rotated["key_transition_expires_at"]);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(oldKey, slug));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(rotated["key"]!.GetValue<string>(), slug));
    }

    [Theory]
    [InlineData("{\"key_transition_period_ms\":1}")]
    [InlineData("{\"key_transition_period_ms\":1799999}")]
    [InlineData("{\"key_transition_period_ms\":\"1h\"}")]
    [InlineData("{\"key_transition_period_ms\":2592000001}")]
    public async Task A_transition_outside_30_minutes_to_30_days_is_refused_and_the_key_is_unchanged(string body)
    {
        JsonNode created = await CreateAsync(new JsonObject { ["name"] = "k", ["scopes"] = new JsonArray("completions.write") });
        string id = created["id"]!.GetValue<string>();

        using HttpResponseMessage response = await _gateway.Admin.PostAsync($"/v1/api-keys/{id}/rotate", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("AB01", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(created["key"]!.GetValue<string>(), slug));
    }

    [Fact]
    public async Task Without_a_body_the_transition_is_one_hour()
    {
        JsonNode created = await CreateAsync(new JsonObject { ["name"] = "k", ["scopes"] = new JsonArray("completions.write") });

        using HttpResponseMessage response = await _gateway.Admin.PostAsync($"/v1/api-keys/{created["id"]}/rotate", null);

        JsonNode rotated = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_clock.GetUtcNow().AddHours(1), rotated["key_transition_expires_at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Rotation_needs_api_keys_update_and_every_scope_of_the_rotated_key_and_unknown_ids_are_404()
    {
        JsonNode admin = await CreateAsync(new JsonObject { ["name"] = "a", ["scopes"] = new JsonArray("*") });
        JsonNode weak = await CreateAsync(new JsonObject { ["name"] = "w", ["scopes"] = new JsonArray("api_keys.update") });
        JsonNode reader = await CreateAsync(new JsonObject { ["name"] = "r", ["scopes"] = new JsonArray("api_keys.read") });
        using HttpClient weakClient = _gateway.NewClient(weak["key"]!.GetValue<string>());
        using HttpClient readerClient = _gateway.NewClient(reader["key"]!.GetValue<string>());

        using HttpResponseMessage outranked = await weakClient.PostAsync($"/v1/api-keys/{admin["id"]}/rotate", null);
        using HttpResponseMessage noScope = await readerClient.PostAsync($"/v1/api-keys/{reader["id"]}/rotate", null);
        using HttpResponseMessage unknown = await _gateway.Admin.PostAsync($"/v1/api-keys/{Guid.NewGuid()}/rotate", null);
        using HttpResponseMessage self = await weakClient.PostAsync($"/v1/api-keys/{weak["id"]}/rotate", null);

        Assert.Equal(HttpStatusCode.Forbidden, outranked.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noScope.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, self.StatusCode);
        using HttpClient adminClient = _gateway.NewClient(admin["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await adminClient.GetAsync("/v1/api-keys")).StatusCode);
    }

    [Fact]
    public async Task Rotation_is_audited_with_the_actor_and_no_secret_appears_in_audit_logs_or_later_answers()
    {
        JsonNode created = await CreateAsync(new JsonObject { ["name"] = "k", ["scopes"] = new JsonArray("completions.write") });
        string id = created["id"]!.GetValue<string>();
        string oldKey = created["key"]!.GetValue<string>();
        using HttpResponseMessage rotation = await _gateway.Admin.PostAsync($"/v1/api-keys/{id}/rotate", null);
        string newKey = JsonNode.Parse(await rotation.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
        string slug = await BudgetKit.CreateKeyAsync(_gateway, null);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(newKey, slug));
        await _gateway.WaitForLogsAsync(1);

        string audit = await _gateway.Admin.GetStringAsync("/v1/audit-logs?page_size=500");
        string everything = string.Join('\n', audit, await _gateway.Admin.GetStringAsync($"/v1/api-keys/{id}"),
            await _gateway.Admin.GetStringAsync("/v1/api-keys"), await _gateway.Admin.GetStringAsync("/v1/logs"),
            _gateway.Logs.All);

        JsonNode entry = JsonNode.Parse(audit)!["data"]!.AsArray().First(e => e!["action"]!.GetValue<string>() == "api_key.rotate")!;
        Assert.Equal(id, entry["target_id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(entry["actor_key_id"]?.GetValue<string>()));
        foreach (string secret in new[] { oldKey, newKey }.SelectMany(k => new[] { k, k[21..53] }))
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }

    private async Task<JsonNode> CreateAsync(JsonObject body)
    {
        using HttpResponseMessage response = await _gateway.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        JsonNode created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, created.ToJsonString());
        return created;
    }

    private async Task<HttpStatusCode> ChatAsync(string key, string slug)
    {
        using HttpClient client = _gateway.NewClient(key);
        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody()));
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }
}
