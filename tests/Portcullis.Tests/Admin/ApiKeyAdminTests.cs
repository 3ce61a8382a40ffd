using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Admin;

public sealed class ApiKeyAdminTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Created_key_is_returned_once_and_only_masked_afterwards()
    {
        (string id, string key) = await fixture.CreateApiKeyAsync("completions.write");

        string one = await fixture.Admin.GetStringAsync($"/v1/api-keys/{id}");
        string list = await fixture.Admin.GetStringAsync("/v1/api-keys");

        Assert.StartsWith("pcl_", key);
        Assert.DoesNotContain(key, one);
        Assert.DoesNotContain(key, list);
        JsonNode record = JsonNode.Parse(one)!;
        Assert.Equal("api-key", record["object"]!.GetValue<string>());
        Assert.Equal("organisation-service", record["type"]!.GetValue<string>());
        Assert.Equal(["completions.write"], record["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.EndsWith(key[^4..], record["key"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/api-keys/galaxy/service", """{"name":"a","scopes":["completions.write"]}""")]
    [InlineData("/v1/api-keys/organisation/service", """{"scopes":["completions.write"]}""")]
    [InlineData("/v1/api-keys/organisation/service", """{"name":"a"}""")]
    [InlineData("/v1/api-keys/organisation/service", """{"name":"a","scopes":["root.everything"]}""")]
    [InlineData("/v1/api-keys/organisation/service", """{"name":"a","scopes":["completions.write"],"expires_at":"someday"}""")]
    public async Task Invalid_api_key_create_is_400(string path, string body)
    {
        using HttpResponseMessage response = await fixture.Admin.PostAsync(path, GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_key_cannot_grant_scopes_it_does_not_hold()
    {
        (_, string limited) = await fixture.CreateApiKeyAsync("api_keys.create", "completions.write");
        using HttpClient client = fixture.NewClient(limited);

        using HttpResponseMessage response = await client.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "escalate", scopes = new[] { "virtual_keys.create" } });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Updated_scopes_and_status_take_effect_on_the_next_request()
    {
        (string id, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/logs")).StatusCode);

        (await fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new { scopes = new[] { "logs.list" } })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/logs")).StatusCode);

        (await fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new { status = "disabled" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/logs")).StatusCode);
    }

    [Fact]
    public async Task Expired_key_is_refused()
    {
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "short-lived", scopes = new[] { "logs.list" }, expires_at = DateTimeOffset.UtcNow.AddSeconds(-1) });
        string key = (await created.Content.ReadFromJsonAsync<JsonNode>())!["key"]!.GetValue<string>();
        using HttpClient client = fixture.NewClient(key);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/logs")).StatusCode);
    }

    [Fact]
    public async Task Deleted_key_is_404_afterwards_and_an_admin_key_cannot_delete_itself()
    {
        (string id, _) = await fixture.CreateApiKeyAsync("completions.write");
        string adminId = JsonNode.Parse(await fixture.Admin.GetStringAsync("/v1/api-keys"))!["data"]!.AsArray()
            .First(k => k!["name"]!.GetValue<string>() == "admin")!["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.DeleteAsync($"/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/api-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Admin.DeleteAsync($"/v1/api-keys/{adminId}")).StatusCode);
    }
}
