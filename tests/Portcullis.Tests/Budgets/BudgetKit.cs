using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Pricing;
using Portcullis.Tests.Infrastructure;
using Portcullis.Usage.Tokens;

namespace Portcullis.Tests.Budgets;

/// <summary>
/// Shared steps of the budget and rate-limit tests: the test price table of gateway-faults.md (mock-model at input
/// $10, cached input $1 and output $20 per 1M tokens), keys with limits, chat calls and scripted answers.
/// </summary>
internal static class BudgetKit
{
    public static readonly ModelPrice MockPrice = new(10_000_000, 1_000_000, 20_000_000, null);

    public static async Task PriceMockModelAsync(GatewayFixture gateway)
    {
        using HttpResponseMessage response = await gateway.Admin.PutAsJsonAsync(
            "/v1/admin/pricing", new JsonObject { ["model"] = "mock-model", ["input"] = 10, ["cached_input"] = 1, ["output"] = 20 });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A virtual key with the given <c>usage_limits</c> and <c>rate_limits</c> (either may be null).</summary>
    public static Task<string> CreateKeyAsync(GatewayFixture gateway, JsonNode? usageLimits, JsonNode? rateLimits = null)
    {
        var extra = new JsonObject();
        if (usageLimits is not null)
        {
            extra["usage_limits"] = usageLimits;
        }

        if (rateLimits is not null)
        {
            extra["rate_limits"] = rateLimits;
        }

        return gateway.CreateVirtualKeyAsync("sk-budget-test-" + Guid.NewGuid().ToString("n"), extra: extra);
    }

    public static string ChatBody(int? maxTokens = null, bool stream = false, string content = "hi")
    {
        var body = new JsonObject
        {
            ["model"] = "mock-model",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (maxTokens is not null)
        {
            body["max_tokens"] = maxTokens;
        }

        if (stream)
        {
            body["stream"] = true;
        }

        return body.ToJsonString();
    }

    public static HttpRequestMessage Chat(string slug, string body, string? trace = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(body) };
        request.Headers.Add("x-portkey-virtual-key", slug);
        if (trace is not null)
        {
            request.Headers.Add("x-portkey-trace-id", trace);
        }

        return request;
    }

    /// <summary>The input tokens Portcullis counts for a chat body, as the worst case uses them.</summary>
    public static int PromptTokensOf(string body) =>
        PromptTokenCounter.Count("chat/completions", "mock-model", Encoding.UTF8.GetBytes(body));

    /// <summary>An OpenAI chat completion carrying the given usage.</summary>
    public static string ChatAnswer(int prompt, int completion, string extraUsage = "") => new JsonObject
    {
        ["id"] = "chatcmpl-b",
        ["object"] = "chat.completion",
        ["created"] = 1,
        ["model"] = "mock-model",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "ok" },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = Usage(prompt, completion, extraUsage),
    }.ToJsonString();

    public static string Chunk(string content, string? finish = null) => new JsonObject
    {
        ["id"] = "chatcmpl-b",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1,
        ["model"] = "mock-model",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = new JsonObject { ["content"] = content },
            ["finish_reason"] = finish,
        }),
    }.ToJsonString();

    /// <summary>The usage-only chunk that ends a stream whose client asked for usage.</summary>
    public static string UsageChunk(int prompt, int completion, string extraUsage = "") => new JsonObject
    {
        ["id"] = "chatcmpl-b",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1,
        ["model"] = "mock-model",
        ["choices"] = new JsonArray(),
        ["usage"] = Usage(prompt, completion, extraUsage),
    }.ToJsonString();

    // extraUsage: more usage fields as JSON members, e.g. ,"cost":0 (a provider's own claim the gateway must ignore).
    private static JsonNode Usage(int prompt, int completion, string extraUsage) =>
        JsonNode.Parse($$"""{"prompt_tokens":{{prompt}},"completion_tokens":{{completion}},"total_tokens":{{prompt + completion}}{{extraUsage}}}""")!;

    /// <summary>The virtual key's budget of the given type as the admin API shows it.</summary>
    public static async Task<JsonNode> BudgetAsync(GatewayFixture gateway, string slug)
    {
        JsonNode key = (await gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;
        return key["usage_limits"]!;
    }

    public static decimal Dollars(JsonNode? value) => value!.GetValue<decimal>();

    public static async Task<JsonNode> ErrorOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
}
