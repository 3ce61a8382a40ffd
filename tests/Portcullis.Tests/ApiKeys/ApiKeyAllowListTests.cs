using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.ApiKeys;

/// <summary>
/// <c>allowed_virtual_keys</c> and <c>allowed_models</c> on an API key, on every operation that reaches an upstream:
/// a slug outside the list (or pass-through) is 403, a model outside the list is 412 model_not_allowed_error, and
/// nothing refused reaches the upstream.
/// </summary>
public sealed class ApiKeyAllowListTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    public static TheoryData<string> Operations => ["chat/completions", "completions", "embeddings", "messages", "models"];

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_virtual_key_outside_the_list_is_refused_403_and_one_inside_it_is_served(string operation)
    {
        string allowed = await fixture.CreateVirtualKeyAsync("sk-allowed-0123456789");
        string other = await fixture.CreateVirtualKeyAsync("sk-other-0123456789");
        string key = await CreateAsync(new JsonObject { ["allowed_virtual_keys"] = new JsonArray(allowed) });
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage refused = await SendAsync(operation, key, other, "mock-model");
        string refusal = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("permission_error", JsonNode.Parse(refusal)!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(before, fixture.Mock.Requests.Count);
        using HttpResponseMessage served = await SendAsync(operation, key, allowed, "mock-model");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(before + 1, fixture.Mock.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task A_model_outside_the_list_is_refused_412_and_a_listed_model_is_served(string operation)
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-models-0123456789");
        string key = await CreateAsync(new JsonObject { ["allowed_models"] = new JsonArray("mock-model") });
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage refused = await SendAsync(operation, key, slug, "gpt-4o");
        string refusal = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        JsonNode error = JsonNode.Parse(refusal)!["error"]!;
        Assert.Equal("model_not_allowed_error", error["type"]!.GetValue<string>());
        Assert.Null(error["code"]);
        Assert.Equal("Model gpt-4o is not allowed for this API key", error["message"]!.GetValue<string>());
        Assert.Equal(before, fixture.Mock.Requests.Count);
        using HttpResponseMessage served = await SendAsync(operation, key, slug, "mock-model");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task The_model_is_checked_without_its_slug_and_a_request_naming_no_model_is_refused()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-catalog-0123456789");
        string key = await CreateAsync(new JsonObject
        {
            ["allowed_models"] = new JsonArray("mock-model"), ["allowed_virtual_keys"] = new JsonArray(slug),
        });
        using HttpClient client = fixture.NewClient(key);

        using HttpResponseMessage viaSlug = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            $$"""{"model":"@{{slug}}/mock-model","messages":[{"role":"user","content":"hi"}]}"""));
        using HttpResponseMessage otherViaSlug = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            $$"""{"model":"@{{slug}}/gpt-4o","messages":[{"role":"user","content":"hi"}]}"""));
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        using HttpResponseMessage noModel = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            """{"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, viaSlug.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, otherViaSlug.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, noModel.StatusCode);
    }

    [Fact]
    public async Task Pass_through_is_refused_while_a_virtual_key_list_is_set()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-pass-0123456789");
        string key = await CreateAsync(
            new JsonObject { ["allowed_virtual_keys"] = new JsonArray(slug) }, "completions.write", "providers.passthrough");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-provider", "openai");
        client.DefaultRequestHeaders.Authorization = new("Bearer", "sk-callers-own-0123456789");
        int before = fixture.Mock.Requests.Count;

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            """{"model":"mock-model","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task An_azure_key_is_judged_by_the_deployment_that_would_answer_not_by_the_name_sent()
    {
        var body = new JsonObject
        {
            ["name"] = "contoso", ["provider"] = "azure-openai", ["key"] = "azure-secret-key-0123456789",
            ["resourceName"] = "contoso", ["custom_host"] = $"http://127.0.0.1:{fixture.Mock.Port}",
            ["deploymentConfig"] = new JsonArray(
                new JsonObject
                {
                    ["alias"] = "gpt4o", ["deploymentName"] = "gpt4o-prod-eu", ["apiVersion"] = "2024-10-21",
                    ["is_default"] = true,
                },
                new JsonObject { ["alias"] = "o3mini", ["deploymentName"] = "o3-mini-prod", ["apiVersion"] = "2025-01-01-preview" }),
        };
        using HttpResponseMessage made = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", body);
        string slug = JsonNode.Parse(await made.Content.ReadAsStringAsync())!["data"]!["slug"]!.GetValue<string>();
        string key = await CreateAsync(new JsonObject { ["allowed_models"] = new JsonArray("o3mini", "gpt4o-prod-eu") });
        int before = fixture.Mock.Requests.Count;

        // Names that are not an alias fall to the default deployment (gpt4o), which the list does not hold, even when
        // the name itself is on the list.
        using HttpResponseMessage deploymentName = await SendAsync("chat/completions", key, slug, "gpt4o-prod-eu");
        using HttpResponseMessage unknown = await SendAsync("chat/completions", key, slug, "anything");
        using HttpResponseMessage empty = await SendAsync("chat/completions", key, slug, "");
        using HttpResponseMessage otherAlias = await SendAsync("chat/completions", key, slug, "gpt4o");
        int afterRefusals = fixture.Mock.Requests.Count;
        using HttpResponseMessage alias = await SendAsync("chat/completions", key, slug, "o3mini");

        Assert.Equal(HttpStatusCode.PreconditionFailed, deploymentName.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, empty.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, otherAlias.StatusCode);
        Assert.Equal(before, afterRefusals);
        Assert.Equal(HttpStatusCode.OK, alias.StatusCode);
    }

    [Fact]
    public async Task The_lists_are_read_back_replaced_and_cleared_with_null()
    {
        string key = await CreateAsync(new JsonObject
        {
            ["allowed_models"] = new JsonArray("a", "b"), ["allowed_virtual_keys"] = new JsonArray("x"),
        });
        JsonNode listed = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/api-keys?page_size=500"))!["data"]!.AsArray()
            .First(k => k!["key"]!.GetValue<string>().EndsWith(key[^4..], StringComparison.Ordinal))!;
        string id = listed["id"]!.GetValue<string>();
        Assert.Equal(["a", "b"], listed["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));

        Assert.True((await fixture.Admin.PutAsJsonAsync($"/v1/api-keys/{id}", new JsonObject { ["allowed_models"] = null }))
            .IsSuccessStatusCode);
        JsonNode cleared = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;
        Assert.Null(cleared["allowed_models"]);
        Assert.Equal(["x"], cleared["allowed_virtual_keys"]!.AsArray().Select(m => m!.GetValue<string>()));

        Assert.True((await fixture.Admin.PutAsJsonAsync(
            $"/v1/api-keys/{id}", new JsonObject { ["allowed_virtual_keys"] = new JsonArray("y", "z") })).IsSuccessStatusCode);
        JsonNode replaced = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;
        Assert.Equal(["y", "z"], replaced["allowed_virtual_keys"]!.AsArray().Select(m => m!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"allowed_models":"mock-model"}""")]
    [InlineData("""{"allowed_models":[""]}""")]
    [InlineData("""{"allowed_models":[1]}""")]
    [InlineData("""{"allowed_virtual_keys":["  "]}""")]
    public async Task Lists_that_are_not_arrays_of_non_empty_strings_are_refused_400(string extra)
    {
        JsonObject body = JsonNode.Parse(extra)!.AsObject();
        body["name"] = "bad";
        body["scopes"] = new JsonArray("completions.write");

        using HttpResponseMessage response = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_list_of_more_than_100_entries_is_refused_400()
    {
        var body = new JsonObject
        {
            ["name"] = "long", ["scopes"] = new JsonArray("completions.write"),
            ["allowed_models"] = new JsonArray(Enumerable.Range(0, 101).Select(i => (JsonNode)$"m{i}").ToArray()),
        };

        using HttpResponseMessage response = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        body["allowed_models"] = new JsonArray(Enumerable.Range(0, 100).Select(i => (JsonNode)$"m{i}").ToArray());
        using HttpResponseMessage hundred = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        Assert.Equal(HttpStatusCode.OK, hundred.StatusCode);
    }

    private async Task<string> CreateAsync(JsonObject extra, params string[] scopes)
    {
        var body = new JsonObject
        {
            ["name"] = "limited",
            ["scopes"] = new JsonArray((scopes.Length == 0 ? ["completions.write"] : scopes).Select(s => (JsonNode)s).ToArray()),
        };
        foreach ((string name, JsonNode? value) in extra)
        {
            body[name] = value?.DeepClone();
        }

        using HttpResponseMessage response = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["key"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> SendAsync(string operation, string key, string slug, string model)
    {
        HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        HttpResponseMessage response = operation switch
        {
            "models" => await client.GetAsync($"/v1/models?model={model}"),
            "embeddings" => await client.PostAsync("/v1/embeddings", GatewayFixture.Json($$"""{"model":"{{model}}","input":"hi"}""")),
            "completions" => await client.PostAsync("/v1/completions", GatewayFixture.Json($$"""{"model":"{{model}}","prompt":"hi"}""")),
            "messages" => await client.PostAsync("/v1/messages", GatewayFixture.Json(
                $$"""{"model":"{{model}}","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}""")),
            _ => await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
                $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""")),
        };
        await response.Content.LoadIntoBufferAsync();
        client.Dispose();
        return response;
    }
}
