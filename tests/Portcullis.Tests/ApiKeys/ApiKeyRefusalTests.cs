using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Portcullis.ApiKeys;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.ApiKeys;

/// <summary>
/// Unknown, malformed, wrong, disabled, deleted and expired keys get one and the same answer, on the data plane (401
/// authentication_error) and on the admin plane (401 AB05), so a caller cannot tell which it holds.
/// </summary>
public sealed class ApiKeyRefusalTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero));
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync()
    {
        _gateway = new GatewayFixture { Time = _clock };
        await _gateway.InitializeAsync();
    }

    public Task DisposeAsync() => _gateway.DisposeAsync();

    private async Task<(string Id, string Key)> CreateAsync(JsonObject? extra = null)
    {
        var body = new JsonObject
        {
            ["name"] = "app", ["scopes"] = new JsonArray("completions.write", "virtual_keys.list"),
        };
        foreach ((string name, JsonNode? value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        using HttpResponseMessage response = await _gateway.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        JsonNode created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, created.ToJsonString());
        return (created["id"]!.GetValue<string>(), created["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_malformed_wrong_disabled_deleted_and_expired_keys_get_byte_identical_answers()
    {
        string slug = await _gateway.CreateVirtualKeyAsync("sk-refusal-test-0123456789");
        (_, string workingKey) = await CreateAsync();
        (string disabledId, string disabled) = await CreateAsync();
        (string deletedId, string deleted) = await CreateAsync();
        (_, string expired) = await CreateAsync(new JsonObject { ["expires_at"] = "2026-04-01T09:00:00Z" });
        Assert.True((await _gateway.Admin.PutAsJsonAsync($"/v1/api-keys/{disabledId}", new JsonObject { ["status"] = "disabled" }))
            .IsSuccessStatusCode);
        Assert.True((await _gateway.Admin.DeleteAsync($"/v1/api-keys/{deletedId}")).IsSuccessStatusCode);

        // Before the clock passes expires_at the key works, afterwards it is refused like the others.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(expired, slug)).Status);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(workingKey, slug)).Status);

        string[] refused =
        [
            ApiKeyFormat.NewKey(ApiKeyFormat.NewPublicId()),
            ApiKeyFormat.NewKey(workingKey[4..20]),
            workingKey[..^1] + (workingKey[^1] == 'a' ? 'b' : 'a'),
            "pcl-not-a-real-key-0123456789",
            disabled,
            deleted,
            expired,
        ];
        var dataAnswers = new List<(HttpStatusCode Status, string Body)>();
        var adminAnswers = new List<(HttpStatusCode Status, string Body)>();
        foreach (string key in refused)
        {
            dataAnswers.Add(await ChatAsync(key, slug));
            using HttpClient admin = _gateway.NewClient(key);
            using HttpResponseMessage listed = await admin.GetAsync("/v1/virtual-keys");
            adminAnswers.Add((listed.StatusCode, await listed.Content.ReadAsStringAsync()));
        }

        Assert.All(dataAnswers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.Status));
        Assert.Single(dataAnswers.Select(a => a.Body).Distinct());
        Assert.Equal("authentication_error", JsonNode.Parse(dataAnswers[0].Body)!["error"]!["type"]!.GetValue<string>());
        Assert.All(adminAnswers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.Status));
        Assert.Single(adminAnswers.Select(a => a.Body).Distinct());
        Assert.Equal("AB05", JsonNode.Parse(adminAnswers[0].Body)!["error"]!["code"]!.GetValue<string>());
    }

    private async Task<(HttpStatusCode Status, string Body)> ChatAsync(string key, string slug)
    {
        using HttpClient client = _gateway.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        using HttpResponseMessage response = await client.PostAsync(
            "/v1/chat/completions", GatewayFixture.Json("""{"model":"mock-model","messages":[{"role":"user","content":"hi"}]}"""));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
