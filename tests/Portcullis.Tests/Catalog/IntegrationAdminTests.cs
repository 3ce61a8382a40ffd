using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Portcullis.Tests.Infrastructure;
using Portcullis.Tests.Security;

namespace Portcullis.Tests.Catalog;

public sealed class IntegrationAdminTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Integration_is_created_read_listed_and_shows_key_and_header_values_only_masked()
    {
        const string secret = "sk-integration-planted-secret-0000wxyz";
        const string headerValue = "header-planted-value-7777";
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, secret, new JsonObject
        {
            ["slug"] = "team-openai-read",
            ["description"] = "shared key",
            ["configurations"] = new JsonObject
            {
                ["openai_organization"] = "org-abc",
                ["custom_headers"] = new JsonObject { ["X-Team"] = headerValue },
            },
        });

        string one = await fixture.Admin.GetStringAsync($"/v1/integrations/{slug}");
        string list = await fixture.Admin.GetStringAsync("/v1/integrations?type=organisation");

        Assert.Equal("team-openai-read", slug);
        JsonNode node = JsonNode.Parse(one)!;
        Assert.Equal("integration", node["object"]!.GetValue<string>());
        Assert.Equal("openai", node["ai_provider_id"]!.GetValue<string>());
        Assert.Equal("****wxyz", node["masked_key"]!.GetValue<string>());
        Assert.Equal("org-abc", node["configurations"]!["openai_organization"]!.GetValue<string>());
        Assert.Equal("****", node["configurations"]!["custom_headers"]!["X-Team"]!.GetValue<string>());
        Assert.Null(node["workspace_id"]);
        Assert.Contains(JsonNode.Parse(list)!["data"]!.AsArray(), i => i!["slug"]!.GetValue<string>() == slug);
        foreach (string text in new[] { one, list })
        {
            Assert.DoesNotContain("planted", text);
        }
    }

    [Fact]
    public async Task The_key_and_header_values_are_sealed_in_the_database_file()
    {
        const string secret = "sk-sealed-integration-secret-9d8c7b6a";
        const string headerValue = "sealed-header-value-5e4f3a2b";
        await CatalogKit.CreateIntegrationAsync(fixture, secret, new JsonObject
        {
            ["configurations"] = new JsonObject { ["custom_headers"] = new JsonObject { ["X-Auth"] = headerValue } },
        });

        // The scan must be able to find a planted value: an unsealed copy in a scratch file is found.
        string path = fixture.Options.DatabasePath;
        Assert.NotEmpty(SecretScanner.Find(secret, "control", System.Text.Encoding.UTF8.GetBytes("x" + secret + "y")));
        SqliteConnection.ClearAllPools();
        var found = new List<string>();
        foreach (string file in new[] { path, path + "-wal" }.Where(File.Exists))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            found.AddRange(SecretScanner.Find(secret, file, bytes));
            found.AddRange(SecretScanner.Find(headerValue, file, bytes));
        }

        Assert.Empty(found);
    }

    [Theory]
    [InlineData("""{"ai_provider_id":"openai","key":"sk-x-123456789"}""", "name")]
    [InlineData("""{"name":"a","key":"sk-x-123456789"}""", "ai_provider_id")]
    [InlineData("""{"name":"a","ai_provider_id":"nope","key":"sk-x-123456789"}""", "not supported")]
    [InlineData("""{"name":"a","ai_provider_id":"openai"}""", "key")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"sk-x-123456789","slug":"bad slug!"}""", "slug")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"k","configurations":{"custom_host":"ftp://x/v1"}}""", "custom_host")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"k","configurations":{"custom_headers":{"bad name":"v"}}}""", "header name")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"k","configurations":[1]}""", "configurations")]
    [InlineData("""{"name":"a","ai_provider_id":"azure-openai","key":"k","configurations":{"azure_resource_name":"r"}}""", "deploymentConfig")]
    [InlineData("""{"name":"a","ai_provider_id":"vllm","key":"k"}""", "custom_host")]
    [InlineData("""not json""", "JSON")]
    public async Task Invalid_create_is_400_with_a_message_and_stores_nothing(string body, string mentions)
    {
        long before = await CatalogKit.TotalAsync(fixture, "/v1/integrations");

        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/integrations", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        Assert.Equal("AB01", error["code"]!.GetValue<string>());
        Assert.Contains(mentions, error["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await CatalogKit.TotalAsync(fixture, "/v1/integrations"));
    }

    [Theory]
    [InlineData("""{"models":[{"slug":"gpt-4o"}]}""", "enabled")]
    [InlineData("""{"models":[{"slug":"gpt-4o","enabled":true,"pricing_config":{"type":"static","pay_as_you_go":{"request_token":{"price":-1},"response_token":{"price":0.001}}}}]}""", "price")]
    [InlineData("""{"models":[{"slug":"gpt-4o","enabled":true,"pricing_config":{"type":"static","pay_as_you_go":{"request_token":{"price":0.001}}}}]}""", "response_token")]
    [InlineData("""{"models":[{"slug":"gpt-4o","enabled":true,"configurations":{"custom_host":"http://u:p@127.0.0.1/v1"}}]}""", "credentials")]
    [InlineData("""{"allow_all_models":"no"}""", "allow_all_models")]
    public async Task Invalid_model_list_is_400_and_leaves_the_list_unchanged(string body, string mentions)
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-models-invalid-0001");
        await CatalogKit.SetModelsAsync(fixture, slug, allowAll: false, CatalogKit.Model("gpt-4o-mini"));

        using HttpResponseMessage response = await fixture.Admin.PutAsync(
            $"/v1/integrations/{slug}/models", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        JsonNode models = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/integrations/{slug}/models"))!;
        Assert.False(models["allow_all_models"]!.GetValue<bool>());
        Assert.Equal(["gpt-4o-mini"], models["models"]!.AsArray().Select(m => m!["slug"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Models_and_workspaces_are_set_merged_and_read_back_with_pricing_and_limits()
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-models-roundtrip-0001");
        var priced = CatalogKit.Model("gpt-4o");
        priced["pricing_config"] = JsonNode.Parse(
            """{"type":"static","pay_as_you_go":{"request_token":{"price":0.00025},"response_token":{"price":0.001}}}""");
        await CatalogKit.SetModelsAsync(fixture, slug, allowAll: false, priced, CatalogKit.Model("gpt-4o-mini"));
        await CatalogKit.SetModelsAsync(fixture, slug, allowAll: false, CatalogKit.Model("gpt-4o-mini", enabled: false));
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, slug, new JsonObject
        {
            ["usage_limits"] = new JsonArray(new JsonObject { ["credit_limit"] = 5, ["type"] = "cost" }),
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 10 }),
        });

        JsonNode models = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/integrations/{slug}/models");
        JsonNode workspaces = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/integrations/{slug}/workspaces");

        JsonArray list = models["models"]!.AsArray();
        Assert.Equal(2, list.Count);
        JsonNode gpt4o = list.Single(m => m!["slug"]!.GetValue<string>() == "gpt-4o")!;
        Assert.Equal(0.00025m, gpt4o["pricing_config"]!["pay_as_you_go"]!["request_token"]!["price"]!.GetValue<decimal>());
        Assert.False(list.Single(m => m!["slug"]!.GetValue<string>() == "gpt-4o-mini")!["enabled"]!.GetValue<bool>());
        JsonNode grant = workspaces["workspaces"]!.AsArray().Single()!;
        Assert.Equal("default", grant["id"]!.GetValue<string>());
        Assert.Equal(5m, grant["usage_limits"]![0]!["credit_limit"]!.GetValue<decimal>());
        Assert.Equal(10, grant["rate_limits"]![0]!["value"]!.GetValue<int>());

        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Delete, $"/v1/integrations/{slug}/models?slugs=gpt-4o-mini");
        JsonNode after = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/integrations/{slug}/models");
        Assert.Equal(["gpt-4o"], after["models"]!.AsArray().Select(m => m!["slug"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Delete_is_refused_while_providers_use_the_integration_unless_cascaded()
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-delete-cascade-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, slug);
        string provider = await CatalogKit.CreateProviderAsync(fixture, slug);

        using HttpResponseMessage refused = await fixture.Admin.DeleteAsync($"/v1/integrations/{slug}");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(provider, await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync($"/v1/providers/{provider}")).StatusCode);

        using HttpResponseMessage cascaded = await fixture.Admin.DeleteAsync($"/v1/integrations/{slug}?cascade=true");
        Assert.Equal(HttpStatusCode.OK, cascaded.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/integrations/{slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/providers/{provider}")).StatusCode);
    }

    [Fact]
    public async Task Provider_needs_an_integration_that_serves_its_workspace_and_keeps_slugs_unique()
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-provider-grant-0001");
        long before = await CatalogKit.TotalAsync(fixture, "/v1/providers");

        using HttpResponseMessage ungranted = await fixture.Admin.PostAsync("/v1/providers", GatewayFixture.Json(
            $$"""{"name":"p","integration_id":"{{slug}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, ungranted.StatusCode);
        Assert.Contains("not enabled for workspace", await ungranted.Content.ReadAsStringAsync());
        Assert.Equal(before, await CatalogKit.TotalAsync(fixture, "/v1/providers"));

        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, slug);
        string classic = await fixture.CreateVirtualKeyAsync("sk-classic-slug-owner-0001");
        using HttpResponseMessage taken = await fixture.Admin.PostAsync("/v1/providers", GatewayFixture.Json(
            $$"""{"name":"p","integration_id":"{{slug}}","slug":"{{classic}}"}"""));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);

        string provider = await CatalogKit.CreateProviderAsync(fixture, slug, new JsonObject { ["slug"] = "my-provider-slug" });
        JsonNode read = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Get, $"/v1/providers/{provider}");
        Assert.Equal("my-provider-slug", provider);
        Assert.Equal("provider", read["object"]!.GetValue<string>());
        Assert.Equal(slug, read["integration_id"]!.GetValue<string>());
        Assert.Equal("default", read["workspace_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Classic_virtual_keys_list_as_providers_and_providers_list_as_virtual_keys()
    {
        string classic = await fixture.CreateVirtualKeyAsync("sk-classic-listing-0001");
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-listing-integration-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);

        JsonArray providers = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/providers?page_size=500"))!["data"]!.AsArray();
        JsonArray keys = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/virtual-keys?page_size=500"))!["data"]!.AsArray();

        JsonNode classicAsProvider = providers.Single(p => p!["slug"]!.GetValue<string>() == classic)!;
        Assert.Equal("provider", classicAsProvider["object"]!.GetValue<string>());
        Assert.Null(classicAsProvider["integration_id"]);
        Assert.Contains(providers, p => p!["slug"]!.GetValue<string>() == provider);
        Assert.Contains(keys, k => k!["slug"]!.GetValue<string>() == provider);
    }

    [Fact]
    public async Task Provider_update_changes_limits_and_refuses_key_changes_through_virtual_keys()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-provider-update-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);

        JsonNode updated = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/providers/{provider}",
            JsonNode.Parse("""{"name":"renamed","note":"n","usage_limits":{"credit_limit":3,"type":"cost"},"reset_usage":true}"""));
        using HttpResponseMessage rekey = await fixture.Admin.PutAsync(
            $"/v1/virtual-keys/{provider}", GatewayFixture.Json("""{"key":"sk-sneaky-replacement-0001"}"""));

        Assert.Equal("renamed", updated["name"]!.GetValue<string>());
        Assert.Equal(3m, updated["usage_limits"]!["credit_limit"]!.GetValue<decimal>());
        Assert.Equal(HttpStatusCode.BadRequest, rekey.StatusCode);
        Assert.Contains("integration", await rekey.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Workspace_keys_cannot_manage_organisation_integrations_or_see_other_workspaces()
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-org-level-0001");
        string teamB = await Workspaces.WorkspaceKit.CreateWorkspaceAsync(fixture, "team-b");
        string key = await CreateWorkspaceKeyAsync(teamB);
        using HttpClient team = fixture.NewClient(key);

        // Not granted to team-b: it does not exist for team-b.
        Assert.Equal(HttpStatusCode.NotFound, (await team.GetAsync($"/v1/integrations/{slug}")).StatusCode);
        Assert.DoesNotContain(slug, await team.GetStringAsync("/v1/integrations"));

        // Its own workspace integration is fine; an organisation-level one it cannot make.
        using HttpResponseMessage own = await team.PostAsync("/v1/integrations", GatewayFixture.Json(
            """{"name":"team b","ai_provider_id":"openai","key":"sk-team-b-own-0001"}"""));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        string ownSlug = (await own.Content.ReadFromJsonAsync<JsonNode>())!["slug"]!.GetValue<string>();
        Assert.Equal(teamB,
            (await team.GetFromJsonAsync<JsonNode>($"/v1/integrations/{ownSlug}"))!["workspace_id"]!.GetValue<string>());
        using HttpResponseMessage elsewhere = await team.PostAsync("/v1/integrations", GatewayFixture.Json(
            """{"name":"x","ai_provider_id":"openai","key":"sk-team-b-other-0001","workspace_id":"team-c"}"""));
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);

        // Granted to team-b: readable, but changing it needs an organisation key.
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{slug}/workspaces",
            JsonNode.Parse($$"""{"workspaces":[{"id":"{{teamB}}","enabled":true}]}"""));
        Assert.Equal(HttpStatusCode.OK, (await team.GetAsync($"/v1/integrations/{slug}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await team.PutAsync($"/v1/integrations/{slug}", GatewayFixture.Json("""{"name":"mine"}"""))).StatusCode);
    }

    private async Task<string> CreateWorkspaceKeyAsync(string workspace)
    {
        JsonNode created = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Post, "/v1/api-keys/workspace/service",
            new JsonObject
            {
                ["name"] = "team",
                ["workspace_id"] = workspace,
                ["scopes"] = new JsonArray("workspace_integrations.create", "workspace_integrations.read",
                    "workspace_integrations.list", "workspace_integrations.update", "providers.create", "providers.list"),
            });
        return created["key"]!.GetValue<string>();
    }
}
