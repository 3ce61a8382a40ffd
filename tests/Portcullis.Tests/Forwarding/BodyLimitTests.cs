using System.Net;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

public sealed class BodyLimitTests : IAsyncLifetime
{
    private const long Limit = 1024 * 1024;
    private GatewayFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await GatewayFixture.StartAsync(o => o.MaxRequestBodyBytes = Limit);

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private async Task<HttpClient> ClientAsync()
    {
        string slug = await _fixture.CreateVirtualKeyAsync("sk-provider-limit-1234");
        (_, string key) = await _fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = _fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    private static byte[] BodyOf(long size)
    {
        string prefix = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":" """;
        string suffix = "\"}]}";
        return System.Text.Encoding.UTF8.GetBytes(prefix + new string('a', (int)size - prefix.Length - suffix.Length) + suffix);
    }

    [Fact]
    public async Task Body_over_the_limit_with_content_length_is_413_json_and_nothing_goes_upstream()
    {
        using HttpClient client = await ClientAsync();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", new ByteArrayContent(BodyOf(Limit + 10)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("request_too_large", error["type"]!.GetValue<string>());
        Assert.Contains(Limit.ToString(System.Globalization.CultureInfo.InvariantCulture), error["message"]!.GetValue<string>());
        Assert.Empty(_fixture.Mock.Requests);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_json()
    {
        using HttpClient client = await ClientAsync();
        var content = new StreamContent(new MemoryStream(BodyOf(3 * Limit)));
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(_fixture.Mock.Requests);
    }

    [Fact]
    public async Task Body_just_under_the_limit_is_forwarded()
    {
        using HttpClient client = await ClientAsync();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", new ByteArrayContent(BodyOf(Limit - 100)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
