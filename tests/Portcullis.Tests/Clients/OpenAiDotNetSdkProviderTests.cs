using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Clients;

/// <summary>
/// The official OpenAI .NET SDK, speaking only OpenAI's chat format, through virtual keys for other providers: an
/// Azure OpenAI key (the model is a deployment alias) and an Anthropic key (the gateway translates to the Messages
/// API and back). The mock serves both; each test gets its own gateway, mock and SQLite file.
/// </summary>
public sealed class OpenAiDotNetSdkProviderTests : IAsyncLifetime
{
    private const string AzureAlias = "gpt4o";
    private const string AzureDeployment = "gpt4o-dotnet-sdk";
    private const string AzureApiVersion = "2024-10-21";

    private readonly string _azureKey = "azure-mock-dotnet-" + Guid.NewGuid().ToString("n");
    private readonly string _anthropicKey = "sk-ant-mock-dotnet-" + Guid.NewGuid().ToString("n");
    private GatewayFixture _fixture = null!;
    private string _gatewayKey = "";
    private string _azureSlug = "";
    private string _anthropicSlug = "";

    public async Task InitializeAsync()
    {
        _fixture = await GatewayFixture.StartAsync();
        await _fixture.RestartAsync(o => o.ProviderBaseUrls["anthropic"] = _fixture.Mock.BaseUrl.ToString());

        // The mock answers only these keys, so a 200 proves the stored key went upstream.
        _fixture.Mock.AcceptedKeys.Add(_azureKey);
        _fixture.Mock.AcceptedKeys.Add(_anthropicKey);
        _gatewayKey = (await _fixture.CreateApiKeyAsync("completions.write")).Key;
        _azureSlug = await CreateVirtualKeyAsync(new JsonObject
        {
            ["name"] = "dotnet sdk azure",
            ["provider"] = "azure-openai",
            ["key"] = _azureKey,
            ["custom_host"] = $"http://127.0.0.1:{_fixture.Mock.Port}",
            ["deploymentConfig"] = new JsonArray(new JsonObject
            {
                ["alias"] = AzureAlias,
                ["deploymentName"] = AzureDeployment,
                ["apiVersion"] = AzureApiVersion,
                ["is_default"] = true,
            }),
        });
        _anthropicSlug = await CreateVirtualKeyAsync(new JsonObject
        {
            ["name"] = "dotnet sdk anthropic", ["provider"] = "anthropic", ["key"] = _anthropicKey,
        });
    }

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Chat_through_an_azure_key_with_an_alias_model_reaches_the_deployment_with_the_api_key_header()
    {
        ChatClient client = NewChatClient($"@{_azureSlug}/{AzureAlias}");
        string expectedPath = $"/openai/deployments/{AzureDeployment}/chat/completions?api-version={AzureApiVersion}";

        // Non-streaming.
        _fixture.Mock.Enqueue(MockScript.Json(200, OpenAiCompletionJson("The Azure gate is open.")));
        ClientResult<ChatCompletion> result = await client.CompleteChatAsync([new UserChatMessage("Is it open?")]);

        Assert.Equal("The Azure gate is open.", Assert.Single(result.Value.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        RecordedRequest first = Assert.Single(_fixture.Mock.Requests);
        Assert.Equal(expectedPath, first.PathAndQuery);
        AssertAzureHeaders(first);

        // Streaming.
        string[] deltas = ["Raise", " the", " Azure", " gate", "."];
        _fixture.Mock.Enqueue(MockScript.Sse(OpenAiStreamPayloads(deltas)));
        (string text, ChatFinishReason? finishReason) =
            await CollectAsync(client.CompleteChatStreamingAsync([new UserChatMessage("Open up")]));

        Assert.Equal(string.Concat(deltas), text);
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.Equal(2, _fixture.Mock.Requests.Count);
        RecordedRequest second = _fixture.Mock.Requests[1];
        Assert.Equal(expectedPath, second.PathAndQuery);
        Assert.True(JsonNode.Parse(second.BodyText)!["stream"]!.GetValue<bool>());
        AssertAzureHeaders(second);
    }

    [Fact]
    public async Task Chat_through_an_anthropic_key_is_translated_to_the_messages_api_with_the_x_api_key_header()
    {
        ChatClient client = NewChatClient($"@{_anthropicSlug}/claude-sonnet-4");

        // Non-streaming.
        _fixture.Mock.Enqueue(MockScript.Json(200, AnthropicMessageJson("Claude keeps the gate.")));
        ClientResult<ChatCompletion> result = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Who keeps the gate?")]);

        Assert.Equal("Claude keeps the gate.", Assert.Single(result.Value.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        Assert.Equal(12, result.Value.Usage.InputTokenCount);
        Assert.Equal(6, result.Value.Usage.OutputTokenCount);
        RecordedRequest first = Assert.Single(_fixture.Mock.Requests);
        Assert.Equal("/v1/messages", first.PathAndQuery);
        AssertAnthropicHeaders(first);
        JsonNode sent = JsonNode.Parse(first.BodyText)!;
        Assert.Equal("claude-sonnet-4", sent["model"]!.GetValue<string>());
        Assert.Equal("Be brief.", sent["system"]!.GetValue<string>());

        // Streaming.
        string[] deltas = ["Raise", " the", " Claude", " gate", "."];
        _fixture.Mock.Enqueue(MockScript.RawSlices(AnthropicStreamFrames(deltas)));
        (string text, ChatFinishReason? finishReason) =
            await CollectAsync(client.CompleteChatStreamingAsync([new UserChatMessage("Open up")]));

        Assert.Equal(string.Concat(deltas), text);
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.Equal(2, _fixture.Mock.Requests.Count);
        RecordedRequest second = _fixture.Mock.Requests[1];
        Assert.Equal("/v1/messages", second.PathAndQuery);
        AssertAnthropicHeaders(second);
        JsonNode streamed = JsonNode.Parse(second.BodyText)!;
        Assert.Equal("claude-sonnet-4", streamed["model"]!.GetValue<string>());
        Assert.True(streamed["stream"]!.GetValue<bool>());
    }

    private void AssertAzureHeaders(RecordedRequest upstream)
    {
        Assert.Equal(_azureKey, upstream.Headers["api-key"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain(upstream.Headers, header => header.Value.Contains(_gatewayKey, StringComparison.Ordinal));
    }

    private void AssertAnthropicHeaders(RecordedRequest upstream)
    {
        Assert.Equal(_anthropicKey, upstream.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", upstream.Headers["anthropic-version"]);
        Assert.False(upstream.Headers.ContainsKey("Authorization"));
        Assert.DoesNotContain(upstream.Headers, header => header.Value.Contains(_gatewayKey, StringComparison.Ordinal));
    }

    private async Task<string> CreateVirtualKeyAsync(JsonObject body)
    {
        using HttpResponseMessage response = await _fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
    }

    private ChatClient NewChatClient(string model) =>
        new(model, new ApiKeyCredential(_gatewayKey), new OpenAIClientOptions { Endpoint = new Uri(_fixture.BaseUrl, "/v1") });

    private static async Task<(string Text, ChatFinishReason? FinishReason)> CollectAsync(
        AsyncCollectionResult<StreamingChatCompletionUpdate> updates)
    {
        var text = new StringBuilder();
        ChatFinishReason? finishReason = null;
        await foreach (StreamingChatCompletionUpdate update in updates)
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finishReason ??= update.FinishReason;
        }

        return (text.ToString(), finishReason);
    }

    private static string OpenAiCompletionJson(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-azure-1",
        @object = "chat.completion",
        created = 1_760_000_000,
        model = "gpt-4o",
        choices = new[]
        {
            new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" },
        },
        usage = new { prompt_tokens = 9, completion_tokens = 5, total_tokens = 14 },
    });

    private static IEnumerable<string> OpenAiStreamPayloads(string[] deltas)
    {
        yield return Chunk(new { role = "assistant", content = "" }, finishReason: null);
        foreach (string delta in deltas)
        {
            yield return Chunk(new { content = delta }, finishReason: null);
        }

        yield return Chunk(new { }, finishReason: "stop");
        yield return JsonSerializer.Serialize(new
        {
            id = "chatcmpl-azure-2",
            @object = "chat.completion.chunk",
            created = 1_760_000_000,
            model = "gpt-4o",
            choices = Array.Empty<object>(),
            usage = new { prompt_tokens = 9, completion_tokens = deltas.Length, total_tokens = 9 + deltas.Length },
        });

        static string Chunk(object delta, string? finishReason) => JsonSerializer.Serialize(new
        {
            id = "chatcmpl-azure-2",
            @object = "chat.completion.chunk",
            created = 1_760_000_000,
            model = "gpt-4o",
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        });
    }

    private static string AnthropicMessageJson(string text) => JsonSerializer.Serialize(new
    {
        id = "msg_dotnet_1",
        type = "message",
        role = "assistant",
        model = "claude-sonnet-4",
        content = new[] { new { type = "text", text } },
        stop_reason = "end_turn",
        stop_sequence = (string?)null,
        usage = new { input_tokens = 12, output_tokens = 6 },
    });

    private static IEnumerable<byte[]> AnthropicStreamFrames(string[] deltas)
    {
        yield return Frame("message_start", new
        {
            type = "message_start",
            message = new
            {
                id = "msg_dotnet_2",
                type = "message",
                role = "assistant",
                model = "claude-sonnet-4",
                content = Array.Empty<object>(),
                stop_reason = (string?)null,
                stop_sequence = (string?)null,
                usage = new { input_tokens = 12, output_tokens = 1 },
            },
        });
        yield return Frame("content_block_start", new
        {
            type = "content_block_start", index = 0, content_block = new { type = "text", text = "" },
        });
        yield return Frame("ping", new { type = "ping" });
        foreach (string delta in deltas)
        {
            yield return Frame("content_block_delta", new
            {
                type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = delta },
            });
        }

        yield return Frame("content_block_stop", new { type = "content_block_stop", index = 0 });
        yield return Frame("message_delta", new
        {
            type = "message_delta",
            delta = new { stop_reason = "end_turn", stop_sequence = (string?)null },
            usage = new { output_tokens = deltas.Length },
        });
        yield return Frame("message_stop", new { type = "message_stop" });

        static byte[] Frame(string name, object data) =>
            Encoding.UTF8.GetBytes($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n");
    }
}
