using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Admin;

public sealed class VirtualKeyAdminTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    private async Task<HttpResponseMessage> ChatAsync(string slug, string? body = null)
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body ?? Body));
    }

    [Fact]
    public async Task Created_virtual_key_is_listed_read_and_shows_the_key_only_masked()
    {
        const string secret = "sk-proj-create-read-0000wxyz";
        string slug = await fixture.CreateVirtualKeyAsync(secret, "Team Alpha / OpenAI", new JsonObject { ["note"] = "for alpha" });

        string one = await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{slug}");
        string list = await fixture.Admin.GetStringAsync("/v1/virtual-keys");

        Assert.StartsWith("team-alpha-openai-", slug);
        JsonNode key = JsonNode.Parse(one)!;
        Assert.Equal("virtual-key", key["object"]!.GetValue<string>());
        Assert.Equal("Team Alpha / OpenAI", key["name"]!.GetValue<string>());
        Assert.Equal("openai", key["provider"]!.GetValue<string>());
        Assert.Equal("for alpha", key["note"]!.GetValue<string>());
        Assert.Equal("active", key["status"]!.GetValue<string>());
        Assert.Equal("****wxyz", key["masked_api_key"]!.GetValue<string>());
        Assert.DoesNotContain("create-read", one);
        Assert.Contains(JsonNode.Parse(list)!["data"]!.AsArray(), k => k!["slug"]!.GetValue<string>() == slug);
        Assert.DoesNotContain("create-read", list);
    }

    [Theory]
    [InlineData("""{"provider":"openai","key":"sk-x-123456789"}""", "name")]
    [InlineData("""{"name":"a","key":"sk-x-123456789"}""", "provider")]
    [InlineData("""{"name":"a","provider":"no-such-provider","key":"sk-x-123456789"}""", "not supported")]
    [InlineData("""{"name":"a","provider":"openai"}""", "key")]
    [InlineData("""{"name":"a","provider":"openai","key":"k","custom_host":"ftp://x/v1"}""", "custom_host")]
    [InlineData("""{"name":"a","provider":"openai","key":"k","custom_host":"http://u:p@127.0.0.1:1/v1"}""", "credentials")]
    [InlineData("""{"name":"a","provider":"openai","key":"k","custom_headers":{"bad name":"v"}}""", "header name")]
    [InlineData("""{"name":"a","provider":"openai","key":"k","custom_headers":{"X-A":"v\r\nInjected: 1"}}""", "line break")]
    [InlineData("""{"name":"a","provider":"openai","key":"k","custom_headers":["x"]}""", "custom_headers")]
    [InlineData("""{"name":"a","provider":"vllm","key":"k"}""", "custom_host")]
    [InlineData("""not json""", "JSON")]
    public async Task Invalid_create_is_400_with_a_message_and_stores_nothing(string body, string mentions)
    {
        long before = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/virtual-keys"))!["total"]!.GetValue<long>();

        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/virtual-keys", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("AB01", error["error"]!["code"]!.GetValue<string>());
        Assert.Contains(mentions, error["error"]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/virtual-keys"))!["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Unknown_slug_is_404_for_read_update_and_delete()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync("/v1/virtual-keys/nope-123")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.PutAsync("/v1/virtual-keys/nope-123", GatewayFixture.Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.DeleteAsync("/v1/virtual-keys/nope-123")).StatusCode);
    }

    [Fact]
    public async Task Update_with_a_key_rotates_the_secret_behind_the_same_slug()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-old-secret-aaaa1111");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(slug)).StatusCode);

        using HttpResponseMessage update = await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}",
            new { key = "sk-new-secret-bbbb2222", note = "rotated" });
        int before = fixture.Mock.Requests.Count;
        using HttpResponseMessage after = await ChatAsync(slug);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        JsonNode updated = (await update.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(slug, updated["slug"]!.GetValue<string>());
        Assert.Equal("****2222", updated["masked_api_key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("Bearer sk-new-secret-bbbb2222", fixture.Mock.Requests[before].Headers["Authorization"]);
    }

    [Fact]
    public async Task Stream_in_flight_finishes_with_the_old_secret_while_the_next_request_uses_the_new_one()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-inflight-old-1111");
        fixture.Mock.Enqueue(MockScript.Sse(Enumerable.Range(0, 10).Select(i =>
            $$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"w{{i}} "},"finish_reason":null}]}"""),
            delayBetweenFrames: TimeSpan.FromMilliseconds(150)));
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        int before = fixture.Mock.Requests.Count;

        Task<HttpResponseMessage> streaming = client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        await fixture.Mock.WaitForRequestAsync(before + 1, TimeSpan.FromSeconds(5));
        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { key = "sk-inflight-new-2222" })).EnsureSuccessStatusCode();
        using HttpResponseMessage next = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));
        using HttpResponseMessage streamed = await streaming;
        string sse = await streamed.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("w9 ", sse);
        Assert.EndsWith("data: [DONE]\n\n", sse);
        Assert.Equal("Bearer sk-inflight-old-1111", fixture.Mock.Requests[before].Headers["Authorization"]);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("Bearer sk-inflight-new-2222", fixture.Mock.Requests[before + 1].Headers["Authorization"]);
    }

    [Fact]
    public async Task Virtual_keys_can_share_one_stored_secret_and_rotate_it_together()
    {
        string first = await fixture.CreateVirtualKeyAsync("sk-shared-secret-3333", "team one");
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "team two", provider = "openai", share_key_with = first });
        string second = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["slug"]!.GetValue<string>();
        int before = fixture.Mock.Requests.Count;

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(second)).StatusCode);
        Assert.Equal("Bearer sk-shared-secret-3333", fixture.Mock.Requests[before].Headers["Authorization"]);

        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{second}", new { key = "sk-shared-rotated-4444" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first)).StatusCode);
        Assert.Equal("Bearer sk-shared-rotated-4444", fixture.Mock.Requests[before + 1].Headers["Authorization"]);

        // Deleting one keeps the shared secret for the other.
        (await fixture.Admin.DeleteAsync($"/v1/virtual-keys/{first}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(second)).StatusCode);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Custom_host_and_custom_headers_reach_a_self_hosted_server_and_header_values_stay_hidden()
    {
        await using MockUpstreamServer selfHosted = await MockUpstreamServer.StartAsync();
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", new
        {
            name = "local vllm",
            provider = "vllm",
            custom_host = selfHosted.BaseUrl + "/",
            custom_headers = new Dictionary<string, string>
            {
                ["Authorization"] = "Bearer header-secret-5555",
                ["X-Team-Token"] = "team-token-secret-6666",
            },
        });
        string text = await created.Content.ReadAsStringAsync();
        Assert.True(created.IsSuccessStatusCode, text);
        string slug = JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();

        using HttpResponseMessage response = await ChatAsync(slug, """{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"hi"}]}""");
        string read = await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{slug}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RecordedRequest upstream = selfHosted.Requests.Single();
        Assert.Equal("/v1/chat/completions", upstream.PathAndQuery);
        Assert.Equal("Bearer header-secret-5555", upstream.Headers["Authorization"]);
        Assert.Equal("team-token-secret-6666", upstream.Headers["X-Team-Token"]);
        Assert.Contains("meta-llama/Llama-3.1-8B-Instruct", upstream.BodyText);
        Assert.DoesNotContain("secret-5555", read);
        Assert.DoesNotContain("secret-6666", read);
        Assert.Equal("****", JsonNode.Parse(read)!["custom_headers"]!["X-Team-Token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Disabled_virtual_key_is_refused_and_works_again_when_enabled()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-status-7777");

        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { status = "disabled" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await ChatAsync(slug)).StatusCode);

        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { status = "active" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(slug)).StatusCode);
    }

    [Fact]
    public async Task Completions_key_cannot_manage_virtual_keys_and_admin_calls_need_a_key()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        using HttpClient anonymous = fixture.NewClient();

        using HttpResponseMessage create = await client.PostAsJsonAsync("/v1/virtual-keys", new { name = "x", provider = "openai", key = "sk-x-1234567" });
        using HttpResponseMessage list = await client.GetAsync("/v1/virtual-keys");
        using HttpResponseMessage none = await anonymous.GetAsync("/v1/virtual-keys");

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal("AB03", (await create.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
    }

    [Fact]
    public async Task Every_admin_change_is_audited_with_the_actor_and_without_secret_values()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-audited-secret-8888");
        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { key = "sk-audited-rotated-9999" })).EnsureSuccessStatusCode();
        (await fixture.Admin.DeleteAsync($"/v1/virtual-keys/{slug}")).EnsureSuccessStatusCode();

        string audit = await fixture.Admin.GetStringAsync("/v1/audit-logs?page_size=500");

        JsonArray entries = JsonNode.Parse(audit)!["data"]!.AsArray();
        string[] actions = entries.Where(e => e!["target_id"]!.GetValue<string>() == slug).Select(e => e!["action"]!.GetValue<string>()).ToArray();
        Assert.Equal(["virtual_key.delete", "virtual_key.rotate", "virtual_key.create"], actions);
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e!["actor_key_id"]?.GetValue<string>())));
        Assert.DoesNotContain("audited-secret", audit);
        Assert.DoesNotContain("audited-rotated", audit);
    }
}
