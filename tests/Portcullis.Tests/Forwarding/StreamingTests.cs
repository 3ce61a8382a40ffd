using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Forwarding;

[Collection(TimingSensitive.Name)]
public sealed class StreamingTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static string Chunk(string content, string? finish = null) =>
        $$"""{"id":"chatcmpl-s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"{{content}}"},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""";

    private const string UsageOnly =
        """{"id":"chatcmpl-s","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":23,"completion_tokens":235,"total_tokens":258}}""";

    private async Task<HttpClient> ClientAsync()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-stream-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        return client;
    }

    private static HttpRequestMessage StreamRequest(bool includeUsage, string trace) =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json(includeUsage
                ? """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"""
                : """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""),
            Headers = { { "x-portkey-trace-id", trace } },
        };

    private static List<string> DataFrames(string sse) =>
        sse.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('\n').First(l => l.StartsWith("data:", StringComparison.Ordinal))[5..].TrimStart())
            .ToList();

    private async Task<JsonNode> LogOfAsync(string trace)
    {
        for (int i = 0; i < 200; i++)
        {
            JsonNode? log = (await fixture.WaitForLogsAsync(1)).FirstOrDefault(l => l?["trace_id"]?.GetValue<string>() == trace);
            if (log is not null)
            {
                return log;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no log record for " + trace);
    }

    [Fact]
    public async Task Stream_reaches_the_client_as_sse_and_usage_is_recorded_from_the_upstream()
    {
        using HttpClient client = await ClientAsync();
        string trace = Guid.NewGuid().ToString();
        long promptBefore = fixture.Mock.TotalPromptTokens, completionBefore = fixture.Mock.TotalCompletionTokens;
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: false, trace));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        List<string> frames = DataFrames(sse);
        Assert.Equal("[DONE]", frames[^1]);
        Assert.DoesNotContain(frames, f => f.Contains("\"choices\":[]", StringComparison.Ordinal));

        // The gateway asked the upstream for usage even though the client did not.
        JsonNode sent = JsonNode.Parse(fixture.Mock.Requests[before].BodyText)!;
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());

        JsonNode log = await LogOfAsync(trace);
        Assert.True(log["stream"]!.GetValue<bool>());
        Assert.Equal(fixture.Mock.TotalPromptTokens - promptBefore, log["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(fixture.Mock.TotalCompletionTokens - completionBefore, log["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Usage_only_chunk_reaches_a_client_that_asked_for_it_in_order()
    {
        using HttpClient client = await ClientAsync();
        string[] upstream = [Chunk("Hel"), Chunk("lo"), """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}""", UsageOnly];
        fixture.Mock.Enqueue(MockScript.Sse(upstream));
        string trace = Guid.NewGuid().ToString();

        using HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: true, trace));
        List<string> frames = DataFrames(await response.Content.ReadAsStringAsync());

        Assert.Equal([.. upstream, "[DONE]"], frames);
        JsonNode log = await LogOfAsync(trace);
        Assert.Equal(23, log["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(235, log["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Final_chunk_with_content_finish_reason_and_usage_is_delivered_once_and_whole()
    {
        using HttpClient client = await ClientAsync();
        string final = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" end."},"finish_reason":"length"}],"usage":{"prompt_tokens":23,"completion_tokens":235,"total_tokens":258}}""";
        fixture.Mock.Enqueue(MockScript.Sse([Chunk("Start"), final]));
        string trace = Guid.NewGuid().ToString();

        using HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: true, trace));
        string sse = await response.Content.ReadAsStringAsync();

        List<string> frames = DataFrames(sse);
        Assert.Equal(final, frames[^2]);
        Assert.Equal(1, CountOf(sse, " end."));
        JsonNode log = await LogOfAsync(trace);
        Assert.Equal(235, log["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stream_without_upstream_usage_gets_no_invented_usage_and_records_counted_tokens_as_estimated()
    {
        using HttpClient client = await ClientAsync();
        fixture.Mock.Enqueue(MockScript.Sse([Chunk("a"), Chunk("b", "stop")]));
        string trace = Guid.NewGuid().ToString();

        using HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: true, trace));
        string sse = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("usage", sse, StringComparison.Ordinal);
        JsonNode log = await LogOfAsync(trace);
        Assert.Equal("success", log["outcome"]!.GetValue<string>());

        // Counted by Portcullis from the request and the two streamed pieces, never zero, and flagged as estimated.
        Assert.True(log["tokens_estimated"]!.GetValue<bool>());
        Assert.InRange(log["prompt_tokens"]!.GetValue<int>(), 5, 20);
        Assert.InRange(log["completion_tokens"]!.GetValue<int>(), 1, 2);
    }

    [Fact]
    public async Task Frames_split_at_awkward_byte_boundaries_arrive_intact()
    {
        using HttpClient client = await ClientAsync();
        string text = "Grüße, 世界 🌍";
        string events = $"data: {Chunk(text)}\r\n\r\ndata: {UsageOnly}\r\n\r\ndata: [DONE]\r\n\r\n";
        byte[] bytes = Encoding.UTF8.GetBytes(events);
        int emoji = Array.IndexOf(bytes, (byte)0xF0);
        int firstColon = events.IndexOf("data:", StringComparison.Ordinal) + 5;
        int[] cuts = [3, firstColon, emoji + 1, emoji + 2, bytes.Length - 3];
        var slices = new List<byte[]>();
        int position = 0;
        foreach (int cut in cuts.Order())
        {
            slices.Add(bytes[position..cut]);
            position = cut;
        }

        slices.Add(bytes[position..]);
        fixture.Mock.Enqueue(MockScript.RawSlices(slices, delayBetween: TimeSpan.FromMilliseconds(20)));
        string trace = Guid.NewGuid().ToString();

        using HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: true, trace));
        byte[] received = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(bytes, received);
        Assert.Equal(235, (await LogOfAsync(trace))["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Frames_reach_the_client_before_the_upstream_finishes()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-stream-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");

        // A client that closes at once when done, so the never-ending upstream is not left open for the next test.
        using HttpClient client = fixture.NewClient(key, new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        // The upstream sends one frame and then never finishes: the frame can only arrive if it is relayed at once.
        fixture.Mock.Enqueue(MockScript.SseThenHang([Chunk("one")]));

        using HttpResponseMessage response = await client.SendAsync(
            StreamRequest(includeUsage: false, Guid.NewGuid().ToString()), HttpCompletionOption.ResponseHeadersRead);
        await using Stream stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int read = await stream.ReadAsync(buffer, guard.Token);

        Assert.True(read > 0);
        Assert.Contains("one", Encoding.UTF8.GetString(buffer, 0, read));
        Assert.False(fixture.Mock.Requests[^1].ClientDisconnected);
    }

    [Fact]
    public async Task Client_that_leaves_mid_stream_cancels_the_upstream_and_is_logged_as_cancelled()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-provider-stream-1234");
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");

        // A client that closes its connection at once instead of draining the rest of the answer.
        using HttpClient client = fixture.NewClient(key, new SocketsHttpHandler { MaxResponseDrainSize = 0 });
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        fixture.Mock.Enqueue(MockScript.Sse(Enumerable.Range(0, 600).Select(i => Chunk("t" + i)),
            delayBetweenFrames: TimeSpan.FromMilliseconds(100)));
        string trace = Guid.NewGuid().ToString();
        int before = fixture.Mock.Requests.Count;

        HttpResponseMessage response = await client.SendAsync(StreamRequest(includeUsage: false, trace), HttpCompletionOption.ResponseHeadersRead);
        Stream stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1024];
        int frames = 0;
        while (frames < 3)
        {
            int read = await stream.ReadAsync(buffer);
            frames += CountOf(Encoding.UTF8.GetString(buffer, 0, read), "data:");
        }

        DateTimeOffset leftAt = DateTimeOffset.UtcNow;
        response.Dispose();

        RecordedRequest upstream = fixture.Mock.Requests[before];
        Assert.True(await upstream.WaitForDisconnectAsync(TimeSpan.FromSeconds(5)));
        Assert.True(upstream.DisconnectedAt - leftAt < TimeSpan.FromSeconds(1), $"upstream saw the disconnect after {upstream.DisconnectedAt - leftAt}");
        Assert.Equal("client_cancelled", (await LogOfAsync(trace))["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task Client_that_abandons_a_non_streamed_request_cancels_the_upstream_call()
    {
        using HttpClient client = await ClientAsync();
        fixture.Mock.Enqueue(MockScript.Hang());
        string trace = Guid.NewGuid().ToString();
        int before = fixture.Mock.Requests.Count;
        using var abandon = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""),
            Headers = { { "x-portkey-trace-id", trace } },
        };

        Task<HttpResponseMessage> sending = client.SendAsync(request, abandon.Token);
        RecordedRequest upstream = await fixture.Mock.WaitForRequestAsync(before + 1, TimeSpan.FromSeconds(5));
        DateTimeOffset leftAt = DateTimeOffset.UtcNow;
        await abandon.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.True(await upstream.WaitForDisconnectAsync(TimeSpan.FromSeconds(5)));
        Assert.True(upstream.DisconnectedAt - leftAt < TimeSpan.FromSeconds(1), $"upstream saw the disconnect after {upstream.DisconnectedAt - leftAt}");
        Assert.Equal("client_cancelled", (await LogOfAsync(trace))["outcome"]!.GetValue<string>());
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
