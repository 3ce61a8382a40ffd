using System.Net;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

public sealed class StrictCustomHostTests
{
    [Fact]
    public async Task In_strict_mode_a_custom_host_on_loopback_is_refused_while_configured_providers_still_work()
    {
        await using GatewayFixture fixture = await GatewayFixture.StartAsync(o => o.StrictCustomHosts = true);
        await using MockUpstreamServer internalServer = await MockUpstreamServer.StartAsync();
        string tenantSlug = await fixture.CreateVirtualKeyAsync("sk-tenant-1234", "tenant", new JsonObject
        {
            ["custom_host"] = $"http://localhost:{internalServer.Port}/v1",
        });
        string configuredSlug = await fixture.CreateVirtualKeyAsync("sk-configured-1234", "configured");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        const string body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

        using var tenant = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(body) };
        tenant.Headers.Add("x-portkey-virtual-key", tenantSlug);
        using HttpResponseMessage refused = await client.SendAsync(tenant);
        using var configured = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(body) };
        configured.Headers.Add("x-portkey-virtual-key", configuredSlug);
        using HttpResponseMessage served = await client.SendAsync(configured);

        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("does not connect to", await refused.Content.ReadAsStringAsync());
        Assert.Empty(internalServer.Requests);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
