using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Budgets;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Catalog;

/// <summary>
/// What catalog bodies may say: unknown fields are refused by name, entries merge with what is stored (budgets keep
/// their usage), an entry listed twice is refused, and what a provider is cannot be changed by an update.
/// </summary>
public sealed class CatalogInputTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static string Chat(string model) => new JsonObject
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
        ["max_tokens"] = 20,
    }.ToJsonString();

    private static async Task<JsonNode> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonNode error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        Assert.Equal("AB01", error["code"]!.GetValue<string>());
        return error;
    }

    private Task<HttpResponseMessage> PutAsync(string path, string body) =>
        fixture.Admin.PutAsync(path, GatewayFixture.Json(body));

    private async Task<JsonArray> AuditOfAsync(string target)
    {
        JsonNode audit = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/audit-logs?page_size=500"))!;
        return new JsonArray(audit["data"]!.AsArray()
            .Where(e => e!["target_id"]!.GetValue<string>() == target)
            .Select(e => e!.DeepClone())
            .ToArray());
    }

    [Theory]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"sk-x-123456789","bogus":1}""", "'bogus'")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"sk-x-123456789","create_default_provder":true}""", "'create_default_provder'")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"sk-x-123456789","configurations":{"custom_hots":"http://127.0.0.1:1/v1"}}""", "'configurations.custom_hots'")]
    [InlineData("""{"name":"a","ai_provider_id":"openai","key":"sk-x-123456789","configurations":{"azure_auth_mode":"default"}}""", "azure_auth_mode")]
    [InlineData("""{"name":"a","ai_provider_id":"azure-openai","key":"sk-x-123456789","configurations":{"openai_project":"p","azure_resource_name":"r","azure_deployment_config":[{"azure_deployment_name":"d","azure_api_version":"2024-10-21","is_default":true}]}}""", "openai_project")]
    [InlineData("""{"name":"a","ai_provider_id":"azure-openai","key":"sk-x-123456789","configurations":{"azure_resource_name":"r","azure_deployment_config":[{"azure_deployment_nmae":"d","azure_api_version":"2024-10-21"}]}}""", "azure_deployment_nmae")]
    public async Task Create_with_an_unknown_or_another_providers_field_is_400_naming_it_and_stores_nothing(
        string body, string mentions)
    {
        long before = await CatalogKit.TotalAsync(fixture, "/v1/integrations");

        using HttpResponseMessage response = await fixture.Admin.PostAsync("/v1/integrations", GatewayFixture.Json(body));

        Assert.Contains(mentions, (await ProblemOf(response))["message"]!.GetValue<string>());
        Assert.Equal(before, await CatalogKit.TotalAsync(fixture, "/v1/integrations"));
    }

    [Theory]
    [InlineData("""{"configurations":{"custom_hots":"http://127.0.0.1:1/v1"}}""", "custom_hots")]
    [InlineData("""{"configurations":{"bogus":1}}""", "bogus")]
    [InlineData("""{"nmae":"renamed","configurations":{}}""", "nmae")]
    [InlineData("""{"configurations":{"azure_resource_name":"r"}}""", "azure_resource_name")]
    public async Task A_misspelt_update_is_400_and_the_stored_custom_host_keeps_serving(string body, string mentions)
    {
        await using MockUpstreamServer host = await MockUpstreamServer.StartAsync();
        string url = $"http://127.0.0.1:{host.Port}/v1";
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-typo-host-0001",
            new JsonObject { ["configurations"] = new JsonObject { ["custom_host"] = url } });
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);

        using HttpResponseMessage response = await PutAsync($"/v1/integrations/{integration}", body);

        Assert.Contains(mentions, (await ProblemOf(response))["message"]!.GetValue<string>());
        JsonNode stored = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/integrations/{integration}"))!;
        Assert.Equal(url, stored["configurations"]!["custom_host"]!.GetValue<string>());
        Assert.Equal("Team OpenAI", stored["name"]!.GetValue<string>());
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        fixture.Mock.ClearRequests();
        using HttpResponseMessage chat = await client.PostAsync(
            "/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        Assert.Single(host.Requests);
        Assert.Empty(fixture.Mock.Requests);
        Assert.DoesNotContain(await AuditOfAsync(integration), e => e!["action"]!.GetValue<string>() == "integration.update");
    }

    [Theory]
    [InlineData("""{"models":[{"slug":"gpt-4o","enabled":true,"configurations":{"custom_hots":"http://127.0.0.1:1/v1"}}]}""", "models[0].configurations.custom_hots")]
    [InlineData("""{"models":[{"slug":"gpt-4o","enabled":true,"pricing_confg":null}]}""", "models[0].pricing_confg")]
    [InlineData("""{"modles":[{"slug":"gpt-4o","enabled":false}]}""", "modles")]
    public async Task A_misspelt_model_field_is_400_and_the_models_host_stays(string body, string mentions)
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-typo-model-0001");
        JsonObject hosted = CatalogKit.Model("gpt-4o");
        hosted["configurations"] = new JsonObject { ["custom_host"] = "http://127.0.0.1:9/v1" };
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, hosted);

        using HttpResponseMessage response = await PutAsync($"/v1/integrations/{integration}/models", body);

        Assert.Contains(mentions, (await ProblemOf(response))["message"]!.GetValue<string>());
        JsonNode model = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/integrations/{integration}/models"))!
            ["models"]![0]!;
        Assert.True(model["enabled"]!.GetValue<bool>());
        Assert.Equal("http://127.0.0.1:9/v1", model["configurations"]!["custom_host"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_model_entry_keeps_the_stored_price_and_host_it_leaves_out_and_null_clears_them()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-model-merge-0001");
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/models", JsonNode.Parse("""
            {"models":[{"slug":"gpt-4o","enabled":true,"configurations":{"custom_host":"http://127.0.0.1:9/v1"},
              "pricing_config":{"type":"static","pay_as_you_go":{"request_token":{"price":0.0001},"response_token":{"price":0.0004}}}}]}
            """));

        JsonNode disabled = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/models",
            JsonNode.Parse("""{"models":[{"slug":"gpt-4o","enabled":false}]}"""));
        JsonNode cleared = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/models",
            JsonNode.Parse("""{"models":[{"slug":"gpt-4o","pricing_config":null,"configurations":null}]}"""));

        JsonNode kept = disabled["models"]![0]!;
        Assert.False(kept["enabled"]!.GetValue<bool>());
        Assert.Equal(0.0004m, kept["pricing_config"]!["pay_as_you_go"]!["response_token"]!["price"]!.GetValue<decimal>());
        Assert.Equal("http://127.0.0.1:9/v1", kept["configurations"]!["custom_host"]!.GetValue<string>());
        JsonNode gone = cleared["models"]![0]!;
        Assert.False(gone["enabled"]!.GetValue<bool>());
        Assert.Null(gone["pricing_config"]);
        Assert.Null(gone["configurations"]);
    }

    [Theory]
    [InlineData("models", """{"models":[{"slug":"gpt-4o","enabled":true},{"slug":"gpt-4o","enabled":false}]}""", "listed twice")]
    [InlineData("workspaces", """{"workspaces":[{"id":"default","enabled":false},{"id":"default","enabled":true}]}""", "listed twice")]
    [InlineData("workspaces", """{"workspaces":[{"id":"default","enabled":false,"usage_limit":null}]}""", "usage_limit")]
    [InlineData("workspaces", """{"global_workspace_access":{"enabled":true,"reset_usge":true}}""", "reset_usge")]
    public async Task An_entry_listed_twice_or_a_misspelt_entry_field_is_400_and_changes_nothing(
        string part, string body, string mentions)
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-twice-0001");
        await CatalogKit.SetModelsAsync(fixture, integration, allowAll: true, CatalogKit.Model("gpt-4o"));
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string before = await fixture.Admin.GetStringAsync($"/v1/integrations/{integration}/{part}");

        using HttpResponseMessage response = await PutAsync($"/v1/integrations/{integration}/{part}", body);

        Assert.Contains(mentions, (await ProblemOf(response))["message"]!.GetValue<string>());
        Assert.Equal(before, await fixture.Admin.GetStringAsync($"/v1/integrations/{integration}/{part}"));
    }

    [Fact]
    public async Task A_grant_entry_keeps_its_budget_and_usage_unless_reset_or_cleared()
    {
        // 1. A workspace grant with a token budget, and some usage on it.
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-grant-merge-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration, new JsonObject
        {
            ["usage_limits"] = new JsonArray(new JsonObject { ["credit_limit"] = 100000, ["type"] = "tokens" }),
        });
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        fixture.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(40, 10)).WithUsage(40, 10));
        using HttpResponseMessage chat = await client.PostAsync(
            "/v1/chat/completions", GatewayFixture.Json(Chat($"@{provider}/gpt-4o-mini")));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        string path = $"/v1/integrations/{integration}/workspaces";
        await WaitForUsageAsync(path, 50);

        // 2. Rate limits only, then revoke and re-grant: the budget and its usage stay.
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, path, JsonNode.Parse(
            """{"workspaces":[{"id":"default","enabled":true,"rate_limits":[{"type":"requests","unit":"rpm","value":100}]}]}"""));
        await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, path,
            JsonNode.Parse("""{"workspaces":[{"id":"default","enabled":false}]}"""));
        JsonNode regranted = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, path,
            JsonNode.Parse("""{"workspaces":[{"id":"default","enabled":true}]}"""));
        JsonNode grant = regranted["workspaces"]![0]!;
        Assert.True(grant["enabled"]!.GetValue<bool>());
        Assert.Equal(100000, grant["usage_limits"]![0]!["credit_limit"]!.GetValue<long>());
        Assert.Equal(50, grant["usage_limits"]![0]!["current_usage"]!.GetValue<long>());
        Assert.Equal(100, grant["rate_limits"]![0]!["value"]!.GetValue<long>());

        // 3. reset_usage zeroes the usage; usage_limits null removes the budget.
        JsonNode reset = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, path,
            JsonNode.Parse("""{"workspaces":[{"id":"default","reset_usage":true}]}"""));
        JsonNode cleared = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, path,
            JsonNode.Parse("""{"workspaces":[{"id":"default","usage_limits":null}]}"""));
        Assert.Equal(0, reset["workspaces"]![0]!["usage_limits"]![0]!["current_usage"]!.GetValue<long>());
        Assert.True(cleared["workspaces"]![0]!["usage_limits"] is null or JsonArray { Count: 0 });
        Assert.Equal(100, cleared["workspaces"]![0]!["rate_limits"]![0]!["value"]!.GetValue<long>());
    }

    private async Task WaitForUsageAsync(string path, long expected)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        long usage = -1;
        while (DateTime.UtcNow < deadline)
        {
            JsonNode grants = (await fixture.Admin.GetFromJsonAsync<JsonNode>(path))!;
            usage = grants["workspaces"]![0]!["usage_limits"]![0]!["current_usage"]!.GetValue<long>();
            if (usage == expected)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"The grant's usage stayed at {usage}, expected {expected}.");
    }

    [Theory]
    [InlineData("""{"integration_id":"some-other-integration"}""", "integration_id")]
    [InlineData("""{"workspace_id":"x"}""", "workspace_id")]
    [InlineData("""{"slug":"renamed-provider"}""", "slug")]
    [InlineData("""{"ai_provider_id":"anthropic"}""", "ai_provider_id")]
    [InlineData("""{"note":"n","key":"sk-sneaky-0001"}""", "key")]
    public async Task Changing_what_a_provider_is_is_400_changes_nothing_and_is_not_audited(string body, string mentions)
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-provider-fixed-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);
        string before = await fixture.Admin.GetStringAsync($"/v1/providers/{provider}");

        using HttpResponseMessage response = await PutAsync($"/v1/providers/{provider}", body);

        Assert.Contains(mentions, (await ProblemOf(response))["message"]!.GetValue<string>());
        Assert.Equal(before, await fixture.Admin.GetStringAsync($"/v1/providers/{provider}"));
        Assert.DoesNotContain(await AuditOfAsync(provider), e => e!["action"]!.GetValue<string>() == "provider.update");
    }

    [Fact]
    public async Task A_provider_read_back_with_its_own_identity_fields_is_accepted()
    {
        string integration = await CatalogKit.CreateIntegrationAsync(fixture, "sk-provider-readback-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, integration);
        string provider = await CatalogKit.CreateProviderAsync(fixture, integration);
        string classic = await fixture.CreateVirtualKeyAsync("sk-provider-readback-classic-0001");

        JsonNode updated = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/providers/{provider}",
            new JsonObject
            {
                ["integration_id"] = integration, ["workspace_id"] = "default", ["slug"] = provider,
                ["ai_provider_id"] = "openai", ["note"] = "read back",
            });
        JsonNode classicUpdated = await CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/providers/{classic}",
            new JsonObject { ["integration_id"] = null, ["note"] = "classic read back" });

        Assert.Equal("read back", updated["note"]!.GetValue<string>());
        Assert.Equal(integration, updated["integration_id"]!.GetValue<string>());
        Assert.Equal("classic read back", classicUpdated["note"]!.GetValue<string>());
    }
}
