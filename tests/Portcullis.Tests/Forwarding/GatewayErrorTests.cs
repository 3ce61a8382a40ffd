using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

public sealed class GatewayErrorTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    private async Task<HttpClient> ClientAsync()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-errors-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    private static async Task<JsonNode> AssertGatewayErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("true", response.Headers.GetValues("x-portkey-gateway-exception").Single());
        Assert.True(response.Headers.Contains("x-portkey-trace-id"));
        JsonNode error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public async Task Missing_gateway_key_is_401()
    {
        using HttpClient client = fixture.NewClient();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        await AssertGatewayErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Unknown_gateway_key_is_401_and_does_not_echo_the_key()
    {
        using HttpClient client = fixture.NewClient("pcl-unknown-key-that-does-not-exist");

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        JsonNode error = await AssertGatewayErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
        Assert.DoesNotContain("does-not-exist", error.ToJsonString());
    }

    [Fact]
    public async Task Disabled_gateway_key_is_refused_at_once()
    {
        (string id, string key) = await fixture.CreateApiKeyAsync("completions.write");
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-errors-1234");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body))).StatusCode);

        (await fixture.Admin.DeleteAsync($"/v1/api-keys/{id}")).EnsureSuccessStatusCode();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));
        await AssertGatewayErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error");
    }

    [Fact]
    public async Task Unknown_virtual_key_is_400_naming_the_slug()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", "no-such-key");

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        JsonNode error = await AssertGatewayErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Contains("no-such-key", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleted_virtual_key_stops_working_at_once()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-errors-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body))).StatusCode);

        (await fixture.Admin.DeleteAsync($"/v1/virtual-keys/{slug}")).EnsureSuccessStatusCode();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));
        await AssertGatewayErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
    }

    [Fact]
    public async Task Request_without_any_target_is_400_saying_how_to_pick_one()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        JsonNode error = await AssertGatewayErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Contains("x-portkey-virtual-key", error["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    [InlineData("{\"model\":\"x\"} {\"model\":\"y\"}")]
    public async Task Malformed_body_is_400_and_never_reaches_the_upstream(string body)
    {
        using HttpClient client = await ClientAsync();
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        await AssertGatewayErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error");
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task Completions_scope_is_required_to_send_completions()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-errors-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("logs.list");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        await AssertGatewayErrorAsync(response, HttpStatusCode.Forbidden, "permission_error");
    }

    [Fact]
    public async Task Unknown_route_is_a_json_404()
    {
        using HttpResponseMessage response = await fixture.Admin.GetAsync("/v1/nothing-here");

        await AssertGatewayErrorAsync(response, HttpStatusCode.NotFound, "not_found_error");
    }

    [Fact]
    public async Task Unreachable_upstream_is_502_from_the_gateway()
    {
        int closedPort = ClosedPort();
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-errors-1234", extra: new JsonObject
        {
            ["custom_host"] = $"http://127.0.0.1:{closedPort}/v1",
        });
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(Body));

        await AssertGatewayErrorAsync(response, HttpStatusCode.BadGateway, "upstream_error");
    }

    [Fact]
    public async Task Large_body_within_the_limit_reaches_the_upstream_intact()
    {
        using HttpClient client = await ClientAsync();
        string image = Convert.ToBase64String(RandomNumberGenerator.GetBytes(19 * 1024 * 1024));
        string body = $$$"""{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{image}}}"}}]}]}""";
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(body);
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", new ByteArrayContent(bytes));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.Equal(bytes.Length, upstream.Body.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), upstream.BodySha256Hex, ignoreCase: true);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
