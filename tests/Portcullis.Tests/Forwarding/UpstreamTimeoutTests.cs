using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

/// <summary>Case B15 with the timeouts shortened to 2 s (time to headers) and 2 s (stream idle) to keep CI quick.</summary>
[Collection(TimingSensitive.Name)]
public sealed class UpstreamTimeoutTests : IAsyncLifetime
{
    private GatewayFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await GatewayFixture.StartAsync(o =>
    {
        o.UpstreamResponseTimeout = TimeSpan.FromSeconds(2);
        o.StreamIdleTimeout = TimeSpan.FromSeconds(2);
    });

    public Task DisposeAsync() => _fixture.DisposeAsync();

    private async Task<HttpClient> ClientAsync()
    {
        string slug = await _fixture.CreateVirtualKeyAsync("sk-provider-timeout-1234");
        (_, string key) = await _fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = _fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Silent_upstream_gets_a_504_json_error_at_the_timeout_and_its_socket_closed(bool stream)
    {
        using HttpClient client = await ClientAsync();
        _fixture.Mock.Enqueue(MockScript.Hang());
        string body = $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        var watch = Stopwatch.StartNew();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(4));
        Assert.Equal("timeout", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        Assert.True(await _fixture.Mock.Requests[^1].WaitForDisconnectAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task Stream_that_goes_silent_ends_with_an_sse_error_frame()
    {
        using HttpClient client = await ClientAsync();
        _fixture.Mock.Enqueue(MockScript.SseThenHang([
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]}""",
        ]));
        var watch = Stopwatch.StartNew();

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(5));
        string last = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Equal("timeout", JsonNode.Parse(last["data: ".Length..])!["error"]!["type"]!.GetValue<string>());
        Assert.True(await _fixture.Mock.Requests[^1].WaitForDisconnectAsync(TimeSpan.FromSeconds(3)));
        JsonNode log = (await _fixture.WaitForLogsAsync(1))[0]!;
        Assert.Equal("stream_idle_timeout", log["outcome"]!.GetValue<string>());
    }
}
