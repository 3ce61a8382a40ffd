using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Clients;

/// <summary>
/// The official OpenAI .NET SDK pointed at a real gateway, which forwards to the mock OpenAI server through a virtual
/// key. Every test gets its own gateway, mock and SQLite file, so recorded requests and token totals are its own.
/// </summary>
public sealed class OpenAiDotNetSdkTests : IAsyncLifetime
{
    private readonly string _providerKey = "sk-mock-provider-" + Guid.NewGuid().ToString("n");
    private GatewayFixture _fixture = null!;
    private string _gatewayKey = "";
    private string _slug = "";

    public async Task InitializeAsync()
    {
        _fixture = await GatewayFixture.StartAsync();

        // The mock answers only the provider key stored in the virtual key, so a 200 proves that key went upstream.
        _fixture.Mock.AcceptedKeys.Add(_providerKey);
        _gatewayKey = (await _fixture.CreateApiKeyAsync("completions.write")).Key;
        _slug = await _fixture.CreateVirtualKeyAsync(_providerKey, "dotnet sdk");
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Chat_completion_with_an_at_slug_model_returns_the_mocks_answer_and_sends_only_the_provider_key_upstream()
    {
        _fixture.Mock.Enqueue(MockScript.Json(200, CompletionJson("The portcullis is open.")));
        ChatClient client = NewChatClient($"@{_slug}/gpt-4o-mini", _gatewayKey);

        ClientResult<ChatCompletion> result = await client.CompleteChatAsync([new UserChatMessage("Is it open?")]);

        Assert.Equal("The portcullis is open.", Assert.Single(result.Value.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        RecordedRequest upstream = Assert.Single(_fixture.Mock.Requests);
        Assert.Equal("/v1/chat/completions", upstream.PathAndQuery);
        Assert.Equal("gpt-4o-mini", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
        Assert.Equal("Bearer " + _providerKey, upstream.Headers["Authorization"]);
        Assert.DoesNotContain(upstream.Headers, header => header.Value.Contains(_gatewayKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Streaming_chat_yields_the_text_the_mock_streamed_and_logs_the_mocks_token_usage()
    {
        string[] deltas = ["Raise", " the", " gate", "."];
        _fixture.Mock.Enqueue(MockScript.Sse(StreamPayloads(deltas, promptTokens: 11, completionTokens: 4))
            .WithUsage(promptTokens: 11, completionTokens: 4));
        ChatClient client = NewChatClient($"@{_slug}/gpt-4o-mini", _gatewayKey);

        var text = new StringBuilder();
        ChatFinishReason? finishReason = null;
        AsyncCollectionResult<StreamingChatCompletionUpdate> updates =
            client.CompleteChatStreamingAsync([new UserChatMessage("Open up")]);
        await foreach (StreamingChatCompletionUpdate update in updates)
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finishReason ??= update.FinishReason;
        }

        Assert.Equal(string.Concat(deltas), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        JsonNode log = Assert.Single(await _fixture.WaitForLogsAsync(1))!;
        Assert.True(log["stream"]!.GetValue<bool>());
        Assert.Equal(_fixture.Mock.TotalPromptTokens, log["prompt_tokens"]?.GetValue<long>());
        Assert.Equal(_fixture.Mock.TotalCompletionTokens, log["completion_tokens"]?.GetValue<long>());
    }

    [Fact]
    public async Task Chat_completion_selects_the_virtual_key_from_an_x_portkey_virtual_key_header_added_by_a_pipeline_policy()
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(_fixture.BaseUrl, "/v1") };
        options.AddPolicy(new SetHeaderPolicy("x-portkey-virtual-key", _slug), PipelinePosition.PerCall);
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(_gatewayKey), options);

        ClientResult<ChatCompletion> result = await client.CompleteChatAsync([new UserChatMessage("Who goes there?")]);

        Assert.False(string.IsNullOrWhiteSpace(Assert.Single(result.Value.Content).Text));
        RecordedRequest upstream = Assert.Single(_fixture.Mock.Requests);
        Assert.Equal("gpt-4o-mini", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
        Assert.Equal("Bearer " + _providerKey, upstream.Headers["Authorization"]);
        Assert.False(upstream.Headers.ContainsKey("x-portkey-virtual-key"));
    }

    [Fact]
    public async Task Embeddings_through_a_virtual_key_return_a_vector_of_the_requested_size()
    {
        var client = new EmbeddingClient(
            $"@{_slug}/text-embedding-3-small", new ApiKeyCredential(_gatewayKey), ClientOptions());

        ClientResult<OpenAIEmbedding> result = await client.GenerateEmbeddingAsync(
            "a drawbridge", new EmbeddingGenerationOptions { Dimensions = 8 });

        Assert.Equal(8, result.Value.ToFloats().Length);
        RecordedRequest upstream = Assert.Single(_fixture.Mock.Requests);
        Assert.Equal("/v1/embeddings", upstream.PathAndQuery);
        Assert.Equal("text-embedding-3-small", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
        Assert.Equal("Bearer " + _providerKey, upstream.Headers["Authorization"]);
    }

    [Fact]
    public async Task An_unknown_gateway_key_makes_the_sdk_throw_a_401_and_nothing_reaches_the_provider()
    {
        string unknownKey = "pcl-not-a-real-key-" + Guid.NewGuid().ToString("n");
        ChatClient client = NewChatClient($"@{_slug}/gpt-4o-mini", unknownKey);

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(
            () => client.CompleteChatAsync([new UserChatMessage("Let me in")]));

        Assert.Equal(401, error.Status);
        Assert.Empty(_fixture.Mock.Requests);
    }

    private OpenAIClientOptions ClientOptions() => new() { Endpoint = new Uri(_fixture.BaseUrl, "/v1") };

    private ChatClient NewChatClient(string model, string apiKey) =>
        new(model, new ApiKeyCredential(apiKey), ClientOptions());

    private static string CompletionJson(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-dotnet-1",
        @object = "chat.completion",
        created = 1_760_000_000,
        model = "gpt-4o-mini",
        choices = new[]
        {
            new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" },
        },
        usage = new { prompt_tokens = 9, completion_tokens = 5, total_tokens = 14 },
    });

    private static IEnumerable<string> StreamPayloads(string[] deltas, int promptTokens, int completionTokens)
    {
        yield return Chunk(new { role = "assistant", content = "" }, finishReason: null);
        foreach (string delta in deltas)
        {
            yield return Chunk(new { content = delta }, finishReason: null);
        }

        yield return Chunk(new { }, finishReason: "stop");
        yield return JsonSerializer.Serialize(new
        {
            id = "chatcmpl-dotnet-2",
            @object = "chat.completion.chunk",
            created = 1_760_000_000,
            model = "gpt-4o-mini",
            choices = Array.Empty<object>(),
            usage = new
            {
                prompt_tokens = promptTokens,
                completion_tokens = completionTokens,
                total_tokens = promptTokens + completionTokens,
            },
        });

        static string Chunk(object delta, string? finishReason) => JsonSerializer.Serialize(new
        {
            id = "chatcmpl-dotnet-2",
            @object = "chat.completion.chunk",
            created = 1_760_000_000,
            model = "gpt-4o-mini",
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        });
    }

    /// <summary>Sets one header on every request, as Portkey's C# guide does for its x-portkey-* headers.</summary>
    private sealed class SetHeaderPolicy(string name, string value) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override async ValueTask ProcessAsync(
            PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            await ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
