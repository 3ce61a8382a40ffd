using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Security;

/// <summary>Faults found by attacking the gateway from outside, each kept as a test.</summary>
public sealed class HardeningTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    [Theory]
    [InlineData("""{"name":"a","provider":"openai","key":"sk-abc\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1"}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"   "}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"sk-clé-non-ascii"}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"sk-ok-123456","custom_headers":{"Content-Encoding":"gzip"}}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"sk-ok-123456","custom_headers":{"X-A":"v\u000bw"}}""")]
    [InlineData("""{"name":"a","provider":"openai","key":"sk-ok-123456","custom_headers":{"x-portcullis-hops":"0"}}""")]
    [InlineData("""{"name":"\ud800x","provider":"openai","key":"sk-ok-123456"}""")]
    public async Task Credentials_that_would_break_or_smuggle_the_upstream_request_are_refused(string body)
    {
        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/virtual-keys", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Rotation_to_an_empty_or_broken_key_is_refused_and_the_old_key_keeps_working()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-good-key-1234");

        using HttpResponseMessage empty = await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { key = "" });
        using HttpResponseMessage broken = await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { key = "a\nb" });

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Equal("****1234", JsonNode.Parse(await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{slug}"))!["masked_api_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_updates_of_one_virtual_key_never_undo_a_disable()
    {
        for (int round = 0; round < 10; round++)
        {
            string slug = await fixture.CreateVirtualKeyAsync("sk-race-1234", "race " + round);
            Task<HttpResponseMessage>[] notes = Enumerable.Range(0, 6)
                .Select(i => fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { note = "n" + i })).ToArray();
            Task<HttpResponseMessage> disable = fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { status = "disabled" });
            HttpResponseMessage[] answers = await Task.WhenAll([.. notes, disable]);

            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            JsonNode key = JsonNode.Parse(await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{slug}"))!;
            Assert.Equal("disabled", key["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Concurrent_updates_of_one_api_key_never_undo_a_disable()
    {
        for (int round = 0; round < 10; round++)
        {
            (string id, _) = await fixture.CreateApiKeyAsync("completions.write");
            Task<HttpResponseMessage>[] names = Enumerable.Range(0, 6)
                .Select(i => fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new { name = "n" + i })).ToArray();
            Task<HttpResponseMessage> disable = fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new { status = "disabled" });
            await Task.WhenAll([.. names, disable]);

            JsonNode key = JsonNode.Parse(await fixture.Admin.GetStringAsync($"/v1/api-keys/{id}"))!;
            Assert.Equal("disabled", key["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_lesser_key_cannot_demote_disable_or_delete_a_full_admin()
    {
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "second admin", scopes = new[] { "*" } });
        string adminId = (await created.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>();
        (_, string updater) = await fixture.CreateApiKeyAsync("api_keys.update", "api_keys.delete");
        using HttpClient client = fixture.NewClient(updater);

        using HttpResponseMessage demote = await client.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { scopes = new[] { "api_keys.list" } });
        using HttpResponseMessage disable = await client.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { status = "disabled" });
        using HttpResponseMessage delete = await client.DeleteAsync($"/v1/api-keys/{adminId}");

        Assert.Equal(HttpStatusCode.Forbidden, demote.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, disable.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal("active", JsonNode.Parse(await fixture.Admin.GetStringAsync($"/v1/api-keys/{adminId}"))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_last_admin_key_cannot_demote_or_disable_itself()
    {
        await using GatewayFixture fresh = await GatewayFixture.StartAsync();
        string adminId = JsonNode.Parse(await fresh.Admin.GetStringAsync("/v1/api-keys"))!["data"]!.AsArray()
            .Single(k => k!["scopes"]!.AsArray().Any(s => s!.GetValue<string>() == "*"))!["id"]!.GetValue<string>();

        using HttpResponseMessage demote = await fresh.Admin.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { scopes = new[] { "completions.write" } });
        using HttpResponseMessage disable = await fresh.Admin.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { status = "disabled" });

        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Admin.GetAsync("/v1/virtual-keys")).StatusCode);
    }

    [Fact]
    public async Task A_virtual_key_pointing_back_at_the_gateway_stops_after_a_few_hops()
    {
        (_, string gatewayKey) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", new
        {
            name = "loop",
            provider = "openai",
            key = gatewayKey,
            custom_host = new Uri(fixture.BaseUrl, "/v1").ToString(),
        });
        string slug = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["slug"]!.GetValue<string>();
        using HttpClient client = fixture.NewClient(gatewayKey);
        int before = fixture.Mock.Requests.Count;

        // The query names the slug again at every hop, so without a hop count this would never end.
        using HttpResponseMessage response = await client.GetAsync($"/v1/models?model=@{slug}/x");

        Assert.Equal((HttpStatusCode)508, response.StatusCode);
        Assert.Contains("loop_detected", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o-mini","model":"other","messages":[]}""")]
    [InlineData("""{"model":"gpt-4o-mini","stream":true,"stream":false,"messages":[]}""")]
    [InlineData("""{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true,"include_usage":false},"messages":[]}""")]
    [InlineData("""{"model":"gpt-4o-mini\ud800","messages":[]}""")]
    public async Task Bodies_the_gateway_and_the_upstream_could_read_differently_are_refused(string body)
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-dup-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task Upstream_cannot_set_the_gateways_own_headers_or_echo_the_provider_key_to_the_client()
    {
        const string secret = "sk-echoed-by-upstream-98765";
        string slug = await fixture.CreateVirtualKeyAsync(secret);
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        fixture.Mock.Enqueue(MockScript.Json(401, $$$"""{"error":{"message":"Incorrect API key provided: {{{secret}}}","type":"invalid_request_error","code":"invalid_api_key"}}""",
            new Dictionary<string, string> { ["x-portkey-trace-id"] = "spoofed", ["x-portkey-provider"] = "spoofed" }));
        using HttpClient client = fixture.NewClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-virtual-key", slug);
        request.Headers.Add("x-portkey-trace-id", "mine");

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("mine", response.Headers.GetValues("x-portkey-trace-id").Single());
        Assert.Equal("openai", response.Headers.GetValues("x-portkey-provider").Single());
        Assert.DoesNotContain(secret, text);
        Assert.Contains("****8765", text);
    }

    [Fact]
    public async Task No_trace_context_or_gateway_header_other_than_the_hop_count_goes_upstream()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-headers-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        client.DefaultRequestHeaders.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        int before = fixture.Mock.Requests.Count;

        (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body))).EnsureSuccessStatusCode();

        IReadOnlyDictionary<string, string> headers = fixture.Mock.Requests[before].Headers;
        Assert.False(headers.ContainsKey("traceparent"));
        Assert.Equal("1", headers["x-portcullis-hops"]);
    }

    [Fact]
    public async Task Rotating_a_shared_key_updates_the_mask_of_every_virtual_key_that_shares_it()
    {
        string first = await fixture.CreateVirtualKeyAsync("sk-shared-mask-1111", "mask one");
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "mask two", provider = "openai", share_key_with = first });
        string second = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["slug"]!.GetValue<string>();

        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{second}", new { key = "sk-shared-mask-2222" })).EnsureSuccessStatusCode();

        Assert.Equal("****2222", JsonNode.Parse(await fixture.Admin.GetStringAsync($"/v1/virtual-keys/{first}"))!["masked_api_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_huge_model_name_is_stored_truncated_in_the_request_log()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-huge-model-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        string trace = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json($$"""{"model":"@{{slug}}/{{new string('m', 100_000)}}","messages":[{"role":"user","content":"hi"}]}"""),
            Headers = { { "x-portkey-trace-id", trace } },
        };

        await client.SendAsync(request);

        JsonNode? log = null;
        for (int i = 0; i < 100 && log is null; i++)
        {
            log = (await fixture.WaitForLogsAsync(1)).FirstOrDefault(l => l!["trace_id"]!.GetValue<string>() == trace);
            await Task.Delay(50);
        }

        Assert.Equal(256, log!["model"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task An_admin_key_from_the_environment_that_was_disabled_stops_start_up_with_a_message()
    {
        await using GatewayFixture fresh = await GatewayFixture.StartAsync();
        using HttpResponseMessage created = await fresh.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "other admin", scopes = new[] { "*" } });
        string otherKey = (await created.Content.ReadFromJsonAsync<JsonNode>())!["key"]!.GetValue<string>();
        string envAdminId = JsonNode.Parse(await fresh.Admin.GetStringAsync("/v1/api-keys"))!["data"]!.AsArray()
            .First(k => k!["name"]!.GetValue<string>() == "admin")!["id"]!.GetValue<string>();
        using HttpClient other = fresh.NewClient(otherKey);
        (await other.PutAsJsonAsync($"/v1/api-keys/{envAdminId}", new { status = "disabled" })).EnsureSuccessStatusCode();

        var error = await Assert.ThrowsAsync<Portcullis.Hosting.GatewayConfigurationException>(() => fresh.RestartAsync());

        Assert.Contains("PORTCULLIS_ADMIN_KEY", error.Message);
        Assert.DoesNotContain(GatewayFixture.AdminKeyValue, error.Message);
    }
}
