using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Portcullis.Tests.Infrastructure;
using Portcullis.Tests.Workspaces;

namespace Portcullis.Tests.Catalog;

/// <summary>
/// Portkey's default providers: a workspace integration is usable as <c>@slug/model</c> as soon as it is created, and
/// a grant makes an organisation integration usable in the workspace it enables; a taken slug stores nothing.
/// </summary>
public sealed class DefaultProviderTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static string Chat(string model) => new JsonObject
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
    }.ToJsonString();

    private static JsonObject Integration(string slug, string key, JsonObject? extra = null)
    {
        var body = new JsonObject { ["name"] = "Team OpenAI", ["ai_provider_id"] = "openai", ["key"] = key, ["slug"] = slug };
        foreach ((string name, JsonNode? value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return body;
    }

    private async Task<JsonNode?> ProviderOrNullAsync(string slug)
    {
        using HttpResponseMessage response = await fixture.Admin.GetAsync($"/v1/providers/{slug}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonArray> AuditOfAsync(string target)
    {
        JsonNode audit = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/audit-logs?page_size=500"))!;
        return new JsonArray(audit["data"]!.AsArray()
            .Where(e => e!["target_id"]!.GetValue<string>() == target)
            .Select(e => e!.DeepClone())
            .ToArray());
    }

    private async Task<long> IntegrationSecretsAsync()
    {
        await using var connection = new SqliteConnection(
            $"Data Source={Path.Combine(fixture.DataDirectory, "portcullis.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM secrets WHERE purpose IN ('integration-key', 'integration-headers')";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_workspace_integration_is_usable_as_slug_model_right_away_without_an_explicit_provider()
    {
        string key = "sk-default-provider-" + Guid.NewGuid().ToString("n");
        string team = await WorkspaceKit.CreateWorkspaceAsync(fixture, "default provider team");
        (_, string manager) = await WorkspaceKit.CreateWorkspaceKeyAsync(
            fixture, team, "workspace_integrations.create", "completions.write");
        using HttpClient client = fixture.NewClient(manager);

        JsonNode created = await CatalogKit.SendAsync(
            client, HttpMethod.Post, "/v1/integrations", Integration("team-openai-dp", key));
        fixture.Mock.ClearRequests();
        using HttpResponseMessage response = await client.PostAsync(
            "/v1/chat/completions", GatewayFixture.Json(Chat("@team-openai-dp/gpt-4o-mini")));

        Assert.Equal("team-openai-dp", created["default_provider_slug"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer " + key, Assert.Single(fixture.Mock.Requests).Headers["Authorization"]);
        JsonNode provider = (await ProviderOrNullAsync("team-openai-dp"))!;
        Assert.Equal(team, provider["workspace_id"]!.GetValue<string>());
        Assert.Equal("team-openai-dp", provider["integration_id"]!.GetValue<string>());
        Assert.Contains(await AuditOfAsync("team-openai-dp"), e => e!["action"]!.GetValue<string>() == "provider.create");
    }

    [Fact]
    public async Task Default_provider_slug_names_the_default_provider()
    {
        JsonNode created = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Post, "/v1/integrations", Integration(
            "named-default-int", "sk-named-default-0001",
            new JsonObject { ["workspace_id"] = "default", ["default_provider_slug"] = "named-default-prov" }));

        Assert.Equal("named-default-prov", created["default_provider_slug"]!.GetValue<string>());
        Assert.NotNull(await ProviderOrNullAsync("named-default-prov"));
        Assert.Null(await ProviderOrNullAsync("named-default-int"));
    }

    [Fact]
    public async Task Create_default_provider_false_creates_none()
    {
        JsonNode created = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Post, "/v1/integrations", Integration(
            "no-default-int", "sk-no-default-0001",
            new JsonObject { ["workspace_id"] = "default", ["create_default_provider"] = false }));
        using HttpClient client = fixture.NewClient((await fixture.CreateApiKeyAsync("completions.write")).Key);
        using HttpResponseMessage chat = await client.PostAsync(
            "/v1/chat/completions", GatewayFixture.Json(Chat("@no-default-int/gpt-4o-mini")));

        Assert.Null(created["default_provider_slug"]);
        Assert.Null(await ProviderOrNullAsync("no-default-int"));
        Assert.NotEqual(HttpStatusCode.OK, chat.StatusCode);
    }

    [Fact]
    public async Task An_organisation_integration_gets_no_provider_on_create()
    {
        JsonNode created = await CatalogKit.SendAsync(
            fixture.Admin, HttpMethod.Post, "/v1/integrations", Integration("org-level-dp", "sk-org-level-dp-0001"));

        Assert.Null(created["default_provider_slug"]);
        Assert.Null(await ProviderOrNullAsync("org-level-dp"));
    }

    [Fact]
    public async Task A_taken_default_provider_slug_is_409_naming_it_and_stores_no_integration_and_no_secret()
    {
        string taken = await fixture.CreateVirtualKeyAsync("sk-classic-holder-0001");
        long integrationsBefore = await CatalogKit.TotalAsync(fixture, "/v1/integrations");
        long secretsBefore = await IntegrationSecretsAsync();

        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/integrations", GatewayFixture.Json(
            Integration("clash-int", "sk-clash-0001", new JsonObject
            {
                ["workspace_id"] = "default",
                ["default_provider_slug"] = taken,
                ["configurations"] = new JsonObject
                {
                    ["custom_headers"] = new JsonObject { ["x-team"] = "clash-header-value" },
                },
            }).ToJsonString()));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"'{taken}'", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync("/v1/integrations/clash-int")).StatusCode);
        Assert.Equal(integrationsBefore, await CatalogKit.TotalAsync(fixture, "/v1/integrations"));
        Assert.Equal(secretsBefore, await IntegrationSecretsAsync());
        Assert.Null((await ProviderOrNullAsync(taken))!["integration_id"]);
    }

    [Fact]
    public async Task The_integration_slug_taken_by_a_provider_is_409_unless_another_slug_is_chosen()
    {
        string taken = await fixture.CreateVirtualKeyAsync("sk-classic-holder-0002");
        JsonObject body = Integration(taken, "sk-same-slug-0001", new JsonObject { ["workspace_id"] = "default" });

        using HttpResponseMessage clash = await fixture.Admin.PostAsync("/v1/integrations", GatewayFixture.Json(body.ToJsonString()));
        body["default_provider_slug"] = taken + "-p";
        JsonNode created = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Post, "/v1/integrations", body);

        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        Assert.Equal(taken + "-p", created["default_provider_slug"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_grant_creates_the_default_provider_in_the_workspace_it_enables()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-granted-default-0001");
        string team = await WorkspaceKit.CreateWorkspaceAsync(fixture, "granted team");

        JsonNode answer = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            JsonNode.Parse($$"""
                {"workspaces":[{"id":"{{team}}","enabled":true,"create_default_provider":true,"default_provider_slug":"granted-dp"}]}
                """));

        JsonNode provider = (await ProviderOrNullAsync("granted-dp"))!;
        Assert.Equal(team, provider["workspace_id"]!.GetValue<string>());
        Assert.Equal(integration, provider["integration_id"]!.GetValue<string>());
        Assert.Equal("granted-dp", answer["default_providers"]![0]!["slug"]!.GetValue<string>());
        Assert.Contains(await AuditOfAsync("granted-dp"), e => e!["action"]!.GetValue<string>() == "provider.create");
    }

    [Fact]
    public async Task A_grant_by_default_names_the_provider_after_integration_and_workspace_once_and_global_access_makes_none()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-granted-default-0002");
        string team = await WorkspaceKit.CreateWorkspaceAsync(fixture, "defaulted team");
        string body = $$$"""{"workspaces":[{"id":"{{{team}}}","enabled":true}],"global_workspace_access":{"enabled":true}}""";

        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces", JsonNode.Parse(body));
        JsonNode again = await CatalogKit.SendAsync(
            fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces", JsonNode.Parse(body));

        JsonArray providers = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/providers?page_size=500"))!["data"]!.AsArray();
        JsonNode only = Assert.Single(providers, p => p!["integration_id"]?.GetValue<string>() == integration)!;
        Assert.Equal($"{integration}-{team}", only["slug"]!.GetValue<string>());
        Assert.Equal(team, only["workspace_id"]!.GetValue<string>());
        Assert.Empty(again["default_providers"]!.AsArray());
    }

    [Fact]
    public async Task A_grant_with_create_default_provider_false_creates_none()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-granted-default-0003");
        string team = await WorkspaceKit.CreateWorkspaceAsync(fixture, "undefaulted team");

        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            JsonNode.Parse($$"""{"workspaces":[{"id":"{{team}}","enabled":true}],"create_default_provider":false}"""));

        Assert.Null(await ProviderOrNullAsync($"{integration}-{team}"));
    }

    [Fact]
    public async Task A_grant_whose_default_provider_slug_is_taken_is_409_and_grants_nothing()
    {
        string taken = await fixture.CreateVirtualKeyAsync("sk-classic-holder-0003");
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-granted-clash-0001");
        string team = await WorkspaceKit.CreateWorkspaceAsync(fixture, "clashing team");

        using HttpResponseMessage response = await fixture.Admin.PutAsync($"/v1/integrations/{integration}/workspaces",
            GatewayFixture.Json($$"""{"workspaces":[{"id":"{{team}}","enabled":true}],"default_provider_slug":"{{taken}}"}"""));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"'{taken}'", await response.Content.ReadAsStringAsync());
        JsonNode grants = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/integrations/{integration}/workspaces"))!;
        Assert.Empty(grants["workspaces"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"create_default_provider":false}""")]
    [InlineData("""{"default_provider_slug":"later"}""")]
    public async Task Default_provider_fields_are_refused_on_update(string body)
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-update-default-0001");

        using HttpResponseMessage response = await fixture.Admin.PutAsync(
            $"/v1/integrations/{integration}", GatewayFixture.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("POST /v1/providers", await response.Content.ReadAsStringAsync());
    }
}
