using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Hosting;
using Portcullis.MockUpstream;
using Portcullis.Providers;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Providers;

public sealed class OpenAiCompatibleCloudTests
{
    [Theory]
    [InlineData("groq", "https://api.groq.com/openai/v1")]
    [InlineData("mistral-ai", "https://api.mistral.ai/v1")]
    [InlineData("together-ai", "https://api.together.xyz/v1")]
    [InlineData("deepseek", "https://api.deepseek.com/v1")]
    [InlineData("openrouter", "https://openrouter.ai/api/v1")]
    [InlineData("fireworks-ai", "https://api.fireworks.ai/inference/v1")]
    [InlineData("x-ai", "https://api.x.ai/v1")]
    [InlineData("perplexity-ai", "https://api.perplexity.ai")]
    public void Each_hosted_cloud_has_its_own_base_url(string id, string baseUrl)
    {
        var catalog = new ProviderCatalog(new GatewayOptions());

        Assert.Equal(new Uri(baseUrl), catalog.BaseUrlOf(id));
    }

    [Fact]
    public async Task A_cloud_key_needs_only_the_key_and_keeps_model_names_byte_for_byte()
    {
        await using GatewayFixture fixture = await GatewayFixture.StartAsync();
        await using MockUpstreamServer cloud = await MockUpstreamServer.StartAsync();
        await fixture.RestartAsync(o => o.ProviderBaseUrls["groq"] = cloud.BaseUrl.ToString());
        using HttpResponseMessage created = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "groq team", provider = "groq", key = "gsk-cloud-key-1234" });
        string slug = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["slug"]!.GetValue<string>();
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            $$"""{"model":"@{{slug}}/meta-llama/llama-4-scout:free@v1.2","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("groq", response.Headers.GetValues("x-portkey-provider").Single());
        RecordedRequest upstream = cloud.Requests.Single();
        Assert.Equal("Bearer gsk-cloud-key-1234", upstream.Headers["Authorization"]);
        Assert.Equal("meta-llama/llama-4-scout:free@v1.2", JsonNode.Parse(upstream.BodyText)!["model"]!.GetValue<string>());
    }
}
