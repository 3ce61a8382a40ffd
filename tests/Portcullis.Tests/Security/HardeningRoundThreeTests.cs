using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Security;

/// <summary>Faults found by a third outside attack, on the provider routes, each kept as a test.</summary>
public sealed class HardeningRoundThreeTests
{
    [Fact]
    public async Task A_key_echoed_inside_a_stream_or_a_successful_answer_reaches_the_client_masked()
    {
        const string secret = "sk-PLANTED-stream-echo-0123456789";
        await using GatewayFixture fixture = await GatewayFixture.StartAsync();
        string slug = await fixture.CreateVirtualKeyAsync(secret);
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        fixture.Mock.Enqueue(MockScript.Sse([$$$"""{"error":{"message":"overloaded for key {{{secret}}}","type":"server_error"}}"""], includeDone: false));
        fixture.Mock.Enqueue(MockScript.Json(200, $$"""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[],"note":"your key is {{secret}}"}"""));

        string streamed = await (await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync();
        using HttpResponseMessage whole = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""));
        string answered = await whole.Content.ReadAsStringAsync();

        Assert.Empty(SecretScanner.Find(secret, "stream", Encoding.UTF8.GetBytes(streamed)));
        Assert.Empty(SecretScanner.Find(secret, "answer", Encoding.UTF8.GetBytes(answered)));
        Assert.Contains("6789", streamed);
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.NotNull(JsonNode.Parse(answered));
        Assert.Single(streamed.Split("\n\n", StringSplitOptions.RemoveEmptyEntries), f => f.Contains("error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Strict_mode_trusts_a_configured_provider_endpoint_only_on_its_own_port()
    {
        await using GatewayFixture fixture = await GatewayFixture.StartAsync(o => o.StrictCustomHosts = true);
        await using MockUpstreamServer other = await MockUpstreamServer.StartAsync();
        string slug = await fixture.CreateVirtualKeyAsync("sk-strict-port-1234", "tenant", new JsonObject
        {
            ["custom_host"] = $"http://127.0.0.1:{other.Port}/v1",
        });
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task Anthropic_errors_on_the_messages_route_keep_anthropics_shape()
    {
        await using GatewayFixture fixture = await GatewayFixture.StartAsync();
        await fixture.RestartAsync(o => o.ProviderBaseUrls["anthropic"] = fixture.Mock.BaseUrl.ToString());
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "claude", provider = "anthropic", key = "sk-ant-shape-0123456789" });
        string slug = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["slug"]!.GetValue<string>();
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        fixture.Mock.Enqueue(MockScript.Json(401, """{"type":"error","error":{"type":"authentication_error","message":"bad key sk-ant-shape-0123456789"}}"""));

        using HttpResponseMessage response = await client.PostAsync("/v1/messages", GatewayFixture.Json(
            """{"model":"claude-sonnet-4","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"""));
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        JsonNode error = JsonNode.Parse(text)!;
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("authentication_error", error["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("sk-ant-shape-0123456789", text);
    }

    [Fact]
    public async Task An_azure_resource_name_is_only_letters_digits_and_dashes()
    {
        await using GatewayFixture fixture = await GatewayFixture.StartAsync();

        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/virtual-keys", GatewayFixture.Json(
            """{"name":"a","provider":"azure-openai","key":"k-123456789","resourceName":"a.b","deploymentConfig":[{"alias":"a","deploymentName":"d","apiVersion":"v","is_default":true}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
