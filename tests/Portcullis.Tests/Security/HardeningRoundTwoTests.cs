using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Security;

/// <summary>Faults found by a second outside attack, each kept as a test.</summary>
public sealed class HardeningRoundTwoTests : IAsyncLifetime
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";
    private GatewayFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await GatewayFixture.StartAsync(o =>
    {
        o.StreamIdleTimeout = TimeSpan.FromSeconds(2);
        o.MaxResponseBodyBytes = 1024 * 1024;
    });

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private async Task<HttpClient> ClientAsync(string providerKey = "sk-round-two-key-1234", JsonObject? extra = null)
    {
        string slug = await _fixture.CreateVirtualKeyAsync(providerKey, extra: extra);
        (_, string key) = await _fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = _fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    [Fact]
    public async Task Upstream_error_fields_and_headers_never_carry_the_provider_key_or_custom_header_values()
    {
        const string secret = "sk-PLANTED-echo-key-ZZZZ";
        const string headerSecret = "PLANTED-header-secret-YYYY";
        using HttpClient client = await ClientAsync(secret, new JsonObject { ["custom_headers"] = new JsonObject { ["X-Token"] = headerSecret } });
        _fixture.Mock.Enqueue(MockScript.Json(401,
            $$$"""{"error":{"message":"bad {{{headerSecret}}}","type":"{{{secret}}}","param":"{{{secret}}}","code":"\u0073k-PLANTED-echo-key-ZZZZ"}}""",
            new Dictionary<string, string> { ["WWW-Authenticate"] = $"Bearer {secret}", ["x-echo"] = headerSecret }));

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));
        string everything = response.Headers + "\n" + await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(SecretScanner.Find(secret, "response", Encoding.UTF8.GetBytes(everything)));
        Assert.Empty(SecretScanner.Find(headerSecret, "response", Encoding.UTF8.GetBytes(everything)));
        Assert.Contains("****ZZZZ", everything);
    }

    [Fact]
    public async Task Upstream_error_status_without_its_body_ends_with_a_504_at_the_idle_timeout()
    {
        using HttpClient client = await ClientAsync();
        _fixture.Mock.Enqueue(MockScript.RawSlices(["{\"error\":"u8.ToArray(), "{}}"u8.ToArray()], "application/json",
            delayBetween: TimeSpan.FromSeconds(20), status: 500));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), watch.Elapsed.ToString());
        Assert.Equal("timeout", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Non_streamed_upstream_answer_over_the_limit_is_a_502_not_unbounded_memory()
    {
        using HttpClient client = await ClientAsync();
        string big = $$"""{"object":"chat.completion","padding":"{{new string('x', 2 * 1024 * 1024)}}"}""";
        _fixture.Mock.Enqueue(MockScript.Json(200, big));

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("larger than the limit", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stream_cut_before_done_ends_with_an_error_event_and_is_logged_as_cut()
    {
        using HttpClient client = await ClientAsync();
        string chunk = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}""";
        _fixture.Mock.Enqueue(MockScript.RawSlices([Encoding.UTF8.GetBytes($"data: {chunk}\n\ndata: {{\"id\":\"x\",\"obj")]));
        string trace = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            Headers = { { "x-portkey-trace-id", trace } },
        };

        using HttpResponseMessage response = await client.SendAsync(request);
        string sse = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("\"obj", sse.Replace("\"object\"", ""), StringComparison.Ordinal);
        string last = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Equal("upstream_error", JsonNode.Parse(last["data: ".Length..])!["error"]!["type"]!.GetValue<string>());
        JsonNode? log = null;
        for (int i = 0; i < 100 && log is null; i++)
        {
            log = (await _fixture.WaitForLogsAsync(1)).FirstOrDefault(l => l!["trace_id"]!.GetValue<string>() == trace);
            await Task.Delay(50);
        }

        Assert.Equal("upstream_cut", log!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_usage_only_chunk_is_held_back_from_a_client_that_did_not_ask()
    {
        using HttpClient client = await ClientAsync();
        string usage = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""";
        _fixture.Mock.Enqueue(MockScript.Sse([usage, usage]));

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("\"choices\":[]", sse, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", sse);
    }

    [Theory]
    [InlineData("""{"model":"gpt-4o-mini","stream":true,"stream_options":{"x":1,"x":2},"messages":[]}""")]
    [InlineData("deep")]
    public async Task Stream_options_the_gateway_cannot_safely_rewrite_are_400(string body)
    {
        if (body == "deep")
        {
            body = """{"model":"gpt-4o-mini","stream":true,"stream_options":""" + new string('[', 100) + new string(']', 100) + ""","messages":[]}""";
            body = body.Replace("\"stream_options\":[", "\"stream_options\":{\"a\":[").Replace("]],\"messages\"", "]]},\"messages\"");
        }

        using HttpClient client = await ClientAsync();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task No_admin_key_can_leave_the_gateway_without_a_working_admin()
    {
        using HttpResponseMessage expiredCreated = await _fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "expired admin", scopes = new[] { "*" }, expires_at = "2000-01-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.OK, expiredCreated.StatusCode);
        string adminId = JsonNode.Parse(await _fixture.Admin.GetStringAsync("/v1/api-keys"))!["data"]!.AsArray()
            .First(k => k!["name"]!.GetValue<string>() == "admin")!["id"]!.GetValue<string>();

        // The expired '*' key does not count as another admin, and expiring the last one is refused like disabling it.
        using HttpResponseMessage disable = await _fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { status = "disabled" });
        using HttpResponseMessage expire = await _fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{adminId}", new { expires_at = "2000-01-01T00:00:00Z" });

        Assert.Equal(HttpStatusCode.Conflict, disable.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, expire.StatusCode);
    }

    [Fact]
    public async Task Two_admins_disabling_each_other_at_once_leave_one_working()
    {
        using HttpResponseMessage created = await _fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "admin b", scopes = new[] { "*" } });
        JsonNode b = (await created.Content.ReadFromJsonAsync<JsonNode>())!;
        string adminA = JsonNode.Parse(await _fixture.Admin.GetStringAsync("/v1/api-keys"))!["data"]!.AsArray()
            .First(k => k!["name"]!.GetValue<string>() == "admin")!["id"]!.GetValue<string>();
        using HttpClient clientB = _fixture.NewClient(b["key"]!.GetValue<string>());

        HttpResponseMessage[] answers = await Task.WhenAll(
            _fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{b["id"]}", new { status = "disabled" }),
            clientB.PutAsJsonAsync($"/v1/api-keys/{adminA}", new { status = "disabled" }));

        // One change wins; the other is refused, as a conflict (last admin) or, if it arrived after, as 401 (its own key
        // was disabled). Never both.
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Contains(answers, a => a.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Unauthorized);
        bool aWorks = (await _fixture.Admin.GetAsync("/v1/api-keys")).IsSuccessStatusCode;
        bool bWorks = (await clientB.GetAsync("/v1/api-keys")).IsSuccessStatusCode;
        Assert.True(aWorks || bWorks);
    }

    [Theory]
    [InlineData("/v1/virtual-keys", """{"name":"a","name":"b","provider":"openai","key":"sk-dup-123456"}""")]
    [InlineData("/v1/virtual-keys", """{"name":"a\u0000b","provider":"openai","key":"sk-nul-123456"}""")]
    [InlineData("/v1/api-keys/organisation/service", """{"name":"a","scopes":["completions.write"],"expires_at":"1/2/2030"}""")]
    public async Task Ambiguous_admin_input_is_400(string path, string body)
    {
        using HttpResponseMessage response = await _fixture.Admin.PostAsync(path, GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Paging_past_the_end_is_an_empty_page_and_empty_scopes_are_refused_on_update()
    {
        (string id, _) = await _fixture.CreateApiKeyAsync("completions.write");

        JsonNode page = (await _fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/api-keys?current_page=9223372036854775807&page_size=500"))!;
        using HttpResponseMessage update = await _fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new { scopes = Array.Empty<string>() });

        Assert.Empty(page["data"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, update.StatusCode);
    }

    [Theory]
    [InlineData(" padded-admin-key-123 ")]
    [InlineData("x")]
    public async Task Unusable_admin_key_in_the_environment_stops_start_up(string value)
    {
        var error = await Assert.ThrowsAsync<Portcullis.Hosting.GatewayConfigurationException>(() => _fixture.RestartAsync(o => o.AdminKey = value));

        Assert.Contains("PORTCULLIS_ADMIN_KEY", error.Message);
        _fixture.Options.AdminKey = GatewayFixture.AdminKeyValue;
        await _fixture.RestartAsync();
    }

    [Fact]
    public void Database_files_are_owner_only()
    {
        UnixFileMode mode = File.GetUnixFileMode(Path.Combine(_fixture.DataDirectory, "portcullis.db"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}
