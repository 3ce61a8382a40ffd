using System.Net;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

public sealed class PassthroughTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string Body = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""";

    private static HttpRequestMessage Request(string gatewayKey, string? providerKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(Body) };
        request.Headers.Add("x-portkey-api-key", gatewayKey);
        request.Headers.Add("x-portkey-provider", "openai");
        if (providerKey is not null)
        {
            request.Headers.Add("Authorization", "Bearer " + providerKey);
        }

        return request;
    }

    [Fact]
    public async Task Provider_id_with_the_callers_own_key_is_forwarded_for_keys_allowed_to_pass_through()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write", "providers.passthrough");
        using HttpClient client = fixture.NewClient();
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.SendAsync(Request(key, "sk-callers-own-key-1234"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("openai", response.Headers.GetValues("x-portkey-provider").Single());
        Assert.Equal("Bearer sk-callers-own-key-1234", fixture.Mock.Requests[before].Headers["Authorization"]);
        Assert.DoesNotContain(fixture.Mock.Requests[before].Headers, h => h.Value.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pass_through_is_forbidden_without_its_scope()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient();
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.SendAsync(Request(key, "sk-callers-own-key-1234"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task Pass_through_without_a_provider_key_is_400_and_the_gateway_key_never_goes_upstream()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write", "providers.passthrough");
        using HttpClient client = fixture.NewClient();
        int before = fixture.Mock.Requests.Count;

        // The same key in both headers is the gateway key, as Portkey's SDKs send it: nothing of it goes upstream.
        using HttpResponseMessage response = await client.SendAsync(Request(key, key));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Theory]
    [InlineData("not-a-provider")]
    [InlineData("vllm")]
    public async Task Unknown_or_self_hosted_provider_id_is_refused_in_pass_through(string provider)
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write", "providers.passthrough");
        using HttpClient client = fixture.NewClient();
        using HttpRequestMessage request = Request(key, "sk-callers-own-key-1234");
        request.Headers.Remove("x-portkey-provider");
        request.Headers.Add("x-portkey-provider", provider);

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Custom_host_header_is_refused_unless_the_operator_allow_lists_it()
    {
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write", "providers.passthrough");
        using HttpClient client = fixture.NewClient();
        using HttpRequestMessage request = Request(key, "sk-callers-own-key-1234");
        request.Headers.Add("x-portkey-custom-host", fixture.Mock.BaseUrl.ToString());
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("custom host", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }
}
