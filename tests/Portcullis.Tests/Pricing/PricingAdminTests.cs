using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Pricing;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Pricing;

/// <summary>
/// <c>/v1/admin/pricing</c> on a real gateway: prices set over the API change what the catalog charges at once,
/// per organisation and per virtual key; bad input is refused with AB01 and changes nothing; scopes are enforced.
/// </summary>
public sealed class PricingAdminTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private PricingCatalog Catalog => fixture.Gateway.App.Services.GetRequiredService<PricingCatalog>();

    [Fact]
    public async Task Listing_shows_shipped_prices_in_dollars_per_million_tokens()
    {
        JsonNode page = await GetAsync("/v1/admin/pricing?page_size=500");

        Assert.Equal("list", page["object"]!.GetValue<string>());
        JsonArray data = page["data"]!.AsArray();
        Assert.Equal(page["total"]!.GetValue<int>(), data.Count);
        JsonNode mini = data.Single(p => p!["model"]!.GetValue<string>() == "gpt-4o-mini")!;
        Assert.Equal(0.15m, mini["input"]!.GetValue<decimal>());
        Assert.Equal(0.075m, mini["cached_input"]!.GetValue<decimal>());
        Assert.Equal(0.6m, mini["output"]!.GetValue<decimal>());
        Assert.Equal(16384, mini["max_output_tokens"]!.GetValue<int>());
        Assert.Equal("shipped", mini["source"]!.GetValue<string>());
        Assert.Null(mini["virtual_key"]);
    }

    [Fact]
    public async Task The_test_price_table_is_set_over_the_api_and_charges_two_cents_for_the_reference_call()
    {
        using HttpResponseMessage response = await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "mock-model", input = 10, cached_input = 1, output = 20 });

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        JsonNode answer = JsonNode.Parse(text)!;
        Assert.Equal("override", answer["source"]!.GetValue<string>());
        Assert.Equal(10m, answer["input"]!.GetValue<decimal>());
        Assert.Equal(1m, answer["cached_input"]!.GetValue<decimal>());
        ModelPrice price = Catalog.Find(null, "mock-model")!;
        Assert.Equal(20_000_000_000, CostCalculator.Compute(new Portcullis.Usage.TokenUsage(1000, 500, 1500), price));
    }

    [Fact]
    public async Task An_override_replaces_the_shipped_price_until_it_is_deleted()
    {
        using HttpResponseMessage set = await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "o3-mini", input = 0.123456, output = 4, max_output_tokens = 5000 });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        JsonNode during = await GetAsync("/v1/admin/pricing?model=o3-mini-2025-01-31");
        ModelPrice? live = Catalog.Find(null, "o3-mini");
        using HttpResponseMessage deleted = await fixture.Admin.DeleteAsync("/v1/admin/pricing?model=o3-mini");
        JsonNode after = await GetAsync("/v1/admin/pricing?model=o3-mini");
        using HttpResponseMessage again = await fixture.Admin.DeleteAsync("/v1/admin/pricing?model=o3-mini");

        JsonNode row = Assert.Single(during["data"]!.AsArray())!;
        Assert.Equal("o3-mini", row["model"]!.GetValue<string>());
        Assert.Equal("override", row["source"]!.GetValue<string>());
        Assert.Equal(0.123456m, row["input"]!.GetValue<decimal>());
        Assert.Equal(0.123456m, row["cached_input"]!.GetValue<decimal>());
        Assert.Equal(5000, row["max_output_tokens"]!.GetValue<int>());
        Assert.Equal(123_456, live!.InputPerToken);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("shipped", Assert.Single(after["data"]!.AsArray())!["source"]!.GetValue<string>());
        Assert.Equal(1.1m, after["data"]![0]!["input"]!.GetValue<decimal>());
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("AB08", (await again.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_virtual_key_price_applies_to_that_key_only_and_goes_when_the_key_is_deleted()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-priced-" + Guid.NewGuid().ToString("n"), "priced key");
        string other = await fixture.CreateVirtualKeyAsync("sk-other-" + Guid.NewGuid().ToString("n"), "other key");

        using HttpResponseMessage set = await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "gpt-4.1-nano", virtual_key = slug, input = 0.01, output = 0.02 });
        JsonNode forKey = await GetAsync($"/v1/admin/pricing?virtual_key={slug}&model=gpt-4.1-nano");
        JsonNode forOther = await GetAsync($"/v1/admin/pricing?virtual_key={other}&model=gpt-4.1-nano");
        JsonNode everything = await GetAsync("/v1/admin/pricing?page_size=500");

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        JsonNode own = Assert.Single(forKey["data"]!.AsArray())!;
        Assert.Equal("virtual_key", own["source"]!.GetValue<string>());
        Assert.Equal(slug, own["virtual_key"]!.GetValue<string>());
        Assert.Equal("shipped", Assert.Single(forOther["data"]!.AsArray())!["source"]!.GetValue<string>());
        Assert.Contains(everything["data"]!.AsArray(), p => p!["virtual_key"]?.GetValue<string>() == slug);
        Assert.Equal(PriceSource.VirtualKey, Catalog.Find(slug, "gpt-4.1-nano")!.Source);
        Assert.Equal(PriceSource.Shipped, Catalog.Find(other, "gpt-4.1-nano")!.Source);

        (await fixture.Admin.DeleteAsync($"/v1/virtual-keys/{slug}")).EnsureSuccessStatusCode();

        Assert.Equal(PriceSource.Shipped, Catalog.Find(slug, "gpt-4.1-nano")!.Source);
        JsonNode afterDelete = await GetAsync("/v1/admin/pricing?page_size=500");
        Assert.DoesNotContain(afterDelete["data"]!.AsArray(), p => p!["virtual_key"]?.GetValue<string>() == slug);
    }

    [Fact]
    public async Task Listing_for_a_virtual_key_shows_every_price_that_applies_to_it()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-list-" + Guid.NewGuid().ToString("n"), "listed prices");
        (await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "private-model", virtual_key = slug, input = 1, output = 2 })).EnsureSuccessStatusCode();

        JsonArray data = (await GetAsync($"/v1/admin/pricing?virtual_key={slug}&page_size=500"))["data"]!.AsArray();

        string SourceOf(string model) => data.Single(p => p!["model"]!.GetValue<string>() == model)!["source"]!.GetValue<string>();
        Assert.Equal("virtual_key", SourceOf("private-model"));
        Assert.Equal("shipped", SourceOf("gpt-5"));
        Assert.Equal(data.Count, data.Select(p => p!["model"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Unknown_virtual_key_is_404_for_list_set_and_delete()
    {
        using HttpResponseMessage list = await fixture.Admin.GetAsync("/v1/admin/pricing?virtual_key=nope-123");
        using HttpResponseMessage set = await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "gpt-4o", virtual_key = "nope-123", input = 1, output = 1 });
        using HttpResponseMessage delete = await fixture.Admin.DeleteAsync("/v1/admin/pricing?model=gpt-4o&virtual_key=nope-123");

        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, set.StatusCode);
        Assert.Contains("nope-123", (await set.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
    }

    [Theory]
    [InlineData("""{"input":1,"output":1}""", "model")]
    [InlineData("""{"model":"","input":1,"output":1}""", "model")]
    [InlineData("""{"model":"bad\u0007name","input":1,"output":1}""", "control")]
    [InlineData("""{"model":"validation-model","output":1}""", "input")]
    [InlineData("""{"model":"validation-model","input":1}""", "output")]
    [InlineData("""{"model":"validation-model","input":-1,"output":1}""", "negative")]
    [InlineData("""{"model":"validation-model","input":1,"output":1.0000001}""", "6 decimals")]
    [InlineData("""{"model":"validation-model","input":1,"output":10001}""", "at most")]
    [InlineData("""{"model":"validation-model","input":"1","output":1}""", "number")]
    [InlineData("""{"model":"validation-model","input":1,"output":1,"cached_input":true}""", "cached_input")]
    [InlineData("""{"model":"validation-model","input":1,"output":1,"max_output_tokens":0}""", "max_output_tokens")]
    [InlineData("""{"model":"validation-model","input":1,"output":1,"max_output_tokens":1.5}""", "max_output_tokens")]
    [InlineData("""{"model":"validation-model","input":1,"output":1,"virtual_key":""}""", "virtual_key")]
    [InlineData("""{"model":"validation-model","input":1,"output":1,"cached_input_price":0.1}""", "cached_input_price")]
    [InlineData("""[1]""", "object")]
    [InlineData("""not json""", "JSON")]
    public async Task Invalid_price_is_400_with_a_message_and_changes_nothing(string body, string mentions)
    {
        using HttpResponseMessage response = await fixture.Admin.PutAsync("/v1/admin/pricing", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("AB01", error["error"]!["code"]!.GetValue<string>());
        Assert.Contains(mentions, error["error"]!["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Null(Catalog.Find(null, "validation-model"));
    }

    [Fact]
    public async Task A_model_name_over_256_characters_is_refused()
    {
        string longName = new('m', 257);

        using HttpResponseMessage response = await fixture.Admin.PutAsJsonAsync(
            "/v1/admin/pricing", new { model = longName, input = 1, output = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(Catalog.Find(null, longName));
    }

    [Fact]
    public async Task Delete_without_a_model_is_400()
    {
        using HttpResponseMessage response = await fixture.Admin.DeleteAsync("/v1/admin/pricing");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Reading_needs_pricing_read_and_changing_needs_pricing_write()
    {
        (_, string completions) = await fixture.CreateApiKeyAsync("completions.write");
        (_, string reader) = await fixture.CreateApiKeyAsync("pricing.read");
        (_, string writer) = await fixture.CreateApiKeyAsync("pricing.write");
        using HttpClient asCompletions = fixture.NewClient(completions);
        using HttpClient asReader = fixture.NewClient(reader);
        using HttpClient asWriter = fixture.NewClient(writer);
        using HttpClient anonymous = fixture.NewClient();
        var body = new { model = "scoped-model", input = 1, output = 1 };

        using HttpResponseMessage completionsRead = await asCompletions.GetAsync("/v1/admin/pricing");
        using HttpResponseMessage readerRead = await asReader.GetAsync("/v1/admin/pricing");
        using HttpResponseMessage readerWrite = await asReader.PutAsJsonAsync("/v1/admin/pricing", body);
        using HttpResponseMessage readerDelete = await asReader.DeleteAsync("/v1/admin/pricing?model=gpt-4o");
        using HttpResponseMessage anonymousRead = await anonymous.GetAsync("/v1/admin/pricing");
        Assert.Null(Catalog.Find(null, "scoped-model"));
        using HttpResponseMessage writerWrite = await asWriter.PutAsJsonAsync("/v1/admin/pricing", body);

        Assert.Equal(HttpStatusCode.Forbidden, completionsRead.StatusCode);
        JsonNode refusal = (await completionsRead.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("AB03", refusal["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, readerRead.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, readerWrite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, readerDelete.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousRead.StatusCode);
        Assert.Equal(HttpStatusCode.OK, writerWrite.StatusCode);
        Assert.NotNull(Catalog.Find(null, "scoped-model"));
    }

    [Fact]
    public async Task Price_changes_are_audited_with_field_names_only()
    {
        (await fixture.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "audited-model", input = 3.141592, output = 2.718281 })).EnsureSuccessStatusCode();
        (await fixture.Admin.DeleteAsync("/v1/admin/pricing?model=audited-model")).EnsureSuccessStatusCode();

        string audit = await fixture.Admin.GetStringAsync("/v1/audit-logs?page_size=500");

        JsonNode[] entries = JsonNode.Parse(audit)!["data"]!.AsArray()
            .Where(e => e!["target_id"]!.GetValue<string>() == "audited-model").Select(e => e!).ToArray();
        Assert.Equal(["pricing.delete", "pricing.set"], entries.Select(e => e["action"]!.GetValue<string>()));
        Assert.Equal("fields: input,model,output", entries[1]["detail"]!.GetValue<string>());
        Assert.DoesNotContain("3.141592", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prices_survive_a_restart_of_the_gateway()
    {
        await using GatewayFixture own = await GatewayFixture.StartAsync();
        (await own.Admin.PutAsJsonAsync("/v1/admin/pricing", new { model = "kept-model", input = 1.5, output = 2.5 }))
            .EnsureSuccessStatusCode();

        await own.RestartAsync();

        JsonNode page = (await own.Admin.GetFromJsonAsync<JsonNode>("/v1/admin/pricing?model=kept-model"))!;
        JsonNode row = Assert.Single(page["data"]!.AsArray())!;
        Assert.Equal(1.5m, row["input"]!.GetValue<decimal>());
        Assert.Equal("override", row["source"]!.GetValue<string>());
    }

    private async Task<JsonNode> GetAsync(string path)
    {
        using HttpResponseMessage response = await fixture.Admin.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }
}
