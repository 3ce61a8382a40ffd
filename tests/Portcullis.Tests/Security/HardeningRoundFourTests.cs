using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Catalog;
using Portcullis.Tests.Infrastructure;
using Portcullis.Tests.Workspaces;

namespace Portcullis.Tests.Security;

/// <summary>
/// What a fresh tester found in workspaces and scoped keys, each kept as a test: keys cannot free themselves or mint
/// freer keys, a workspace cannot lift the limits its organisation set, grants of other workspaces stay hidden, a
/// gateway key is never sent upstream as a provider key, and the last admin cannot be one that expires.
/// </summary>
public sealed class HardeningRoundFourTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public async Task A_key_cannot_lift_its_own_limits_expiry_or_allow_lists_but_may_rename_itself()
    {
        JsonNode manager = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "manager",
            ["scopes"] = new JsonArray("completions.write", "api_keys.update", "api_keys.read"),
            ["allowed_models"] = new JsonArray("mock-model"),
            ["expires_at"] = "2099-01-01T00:00:00Z",
        });
        string id = manager["id"]!.GetValue<string>();
        using HttpClient self = _gateway.NewClient(manager["key"]!.GetValue<string>());

        foreach (string change in (string[])[
            """{"allowed_models":null}""", """{"expires_at":null}""", """{"rate_limits":[]}""",
            """{"scopes":["completions.write"]}""", """{"status":"disabled"}"""])
        {
            using HttpResponseMessage refused = await self.PutAsync($"/v1/api-keys/{id}", GatewayFixture.Json(change));
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, change + ": " + await refused.Content.ReadAsStringAsync());
        }

        using HttpResponseMessage renamed = await self.PutAsync($"/v1/api-keys/{id}", GatewayFixture.Json("""{"name":"mine"}"""));
        JsonNode after = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;

        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("mine", after["name"]!.GetValue<string>());
        Assert.Equal(["mock-model"], after["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.NotNull(after["expires_at"]);
    }

    [Fact]
    public async Task A_restricted_key_mints_only_keys_within_its_own_allow_lists_and_expiry()
    {
        JsonNode manager = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "manager",
            ["scopes"] = new JsonArray("completions.write", "api_keys.create", "api_keys.update"),
            ["allowed_models"] = new JsonArray("mock-model", "other-model"),
            ["expires_at"] = "2099-01-01T00:00:00Z",
        });
        using HttpClient asManager = _gateway.NewClient(manager["key"]!.GetValue<string>());

        JsonNode inherited = await CreateKeyAsync(asManager, new JsonObject
        {
            ["name"] = "child", ["scopes"] = new JsonArray("completions.write"),
        });
        JsonNode child = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{inherited["id"]}"))!;
        using HttpResponseMessage broader = await asManager.PostAsJsonAsync("/v1/api-keys/organisation/service", new JsonObject
        {
            ["name"] = "broader", ["scopes"] = new JsonArray("completions.write"), ["allowed_models"] = new JsonArray("gpt-4o"),
        });
        using HttpResponseMessage later = await asManager.PostAsJsonAsync("/v1/api-keys/organisation/service", new JsonObject
        {
            ["name"] = "later", ["scopes"] = new JsonArray("completions.write"), ["expires_at"] = "2100-01-01T00:00:00Z",
        });
        using HttpResponseMessage widened = await asManager.PutAsJsonAsync($"/v1/api-keys/{inherited["id"]}",
            new JsonObject { ["allowed_models"] = new JsonArray("mock-model", "gpt-4o") });
        using HttpResponseMessage lifted = await asManager.PutAsJsonAsync($"/v1/api-keys/{inherited["id"]}",
            new JsonObject { ["allowed_models"] = null });
        JsonNode afterLift = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{inherited["id"]}"))!;

        Assert.Equal(["mock-model", "other-model"], child["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(DateTimeOffset.Parse("2099-01-01T00:00:00Z"), child["expires_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(HttpStatusCode.Forbidden, broader.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, later.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, widened.StatusCode);

        // Lifting the list leaves the child bounded by the manager's own list.
        Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);
        Assert.Equal(["mock-model", "other-model"], afterLift["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
    }

    [Fact]
    public async Task A_key_with_its_own_budget_or_rate_limit_cannot_mint_keys_or_rotate_a_freer_one()
    {
        JsonNode metered = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "metered",
            ["scopes"] = new JsonArray("completions.write", "api_keys.create", "api_keys.update"),
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpd", ["value"] = 1 }),
        });
        JsonNode free = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "free", ["scopes"] = new JsonArray("completions.write"),
        });
        using HttpClient asMetered = _gateway.NewClient(metered["key"]!.GetValue<string>());

        using HttpResponseMessage minted = await asMetered.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new JsonObject { ["name"] = "escape", ["scopes"] = new JsonArray("completions.write") });
        using HttpResponseMessage rotated = await asMetered.PostAsync($"/v1/api-keys/{free["id"]}/rotate", null);

        Assert.Equal(HttpStatusCode.Forbidden, minted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rotated.StatusCode);
    }

    [Fact]
    public async Task A_workspace_key_renames_its_workspace_but_cannot_lift_the_limits_its_organisation_set()
    {
        string workspace = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "capped", new JsonObject
        {
            ["usage_limits"] = new JsonObject { ["credit_limit"] = 1 },
        });
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, workspace, "workspaces.update", "workspaces.read");
        using HttpClient asWorkspace = _gateway.NewClient(key);

        using HttpResponseMessage lifted = await asWorkspace.PutAsync($"/v1/admin/workspaces/{workspace}",
            GatewayFixture.Json("""{"usage_limits":null}"""));
        using HttpResponseMessage reset = await asWorkspace.PutAsync($"/v1/admin/workspaces/{workspace}",
            GatewayFixture.Json("""{"reset_usage":true}"""));
        using HttpResponseMessage disabled = await asWorkspace.PutAsync($"/v1/admin/workspaces/{workspace}",
            GatewayFixture.Json("""{"status":"disabled"}"""));
        using HttpResponseMessage renamed = await asWorkspace.PutAsync($"/v1/admin/workspaces/{workspace}",
            GatewayFixture.Json("""{"name":"still capped"}"""));
        JsonNode after = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/admin/workspaces/{workspace}"))!;

        Assert.Equal(HttpStatusCode.Forbidden, lifted.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reset.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("still capped", after["name"]!.GetValue<string>());
        Assert.NotNull(after["usage_limits"]);
    }

    [Fact]
    public async Task A_workspace_key_sees_only_its_own_grant_of_an_organisation_integration()
    {
        string alpha = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "alpha");
        string beta = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "beta");
        string integration = await CatalogKit.CreateIntegrationAsync(_gateway, "sk-org-shared-0001");
        await CatalogKit.SendAsync(_gateway.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            JsonNode.Parse($$"""{"workspaces":[{"id":"{{alpha}}","enabled":true},{"id":"{{beta}}","enabled":true}]}"""));
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, alpha, "workspace_integrations.read");
        using HttpClient asAlpha = _gateway.NewClient(key);

        string seen = await asAlpha.GetStringAsync($"/v1/integrations/{integration}/workspaces");
        string all = await _gateway.Admin.GetStringAsync($"/v1/integrations/{integration}/workspaces");

        Assert.Contains(alpha, seen);
        Assert.DoesNotContain(beta, seen);
        Assert.Contains(beta, all);
    }

    [Fact]
    public async Task A_workspace_key_gets_404_creating_a_provider_of_an_integration_that_does_not_serve_it()
    {
        string alpha = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "alpha");
        string integration = await CatalogKit.CreateIntegrationAsync(_gateway, "sk-org-ungranted-0001");
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, alpha, "providers.create");
        using HttpClient asAlpha = _gateway.NewClient(key);

        using HttpResponseMessage ungranted = await asAlpha.PostAsJsonAsync("/v1/providers",
            new JsonObject { ["name"] = "p", ["integration_id"] = integration });
        using HttpResponseMessage unknown = await asAlpha.PostAsJsonAsync("/v1/providers",
            new JsonObject { ["name"] = "p", ["integration_id"] = "no-such-integration" });

        Assert.Equal(HttpStatusCode.NotFound, ungranted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_gateway_key_in_authorization_is_refused_for_pass_through_and_never_sent_upstream()
    {
        (_, string admin) = await _gateway.CreateApiKeyAsync("*");

        using HttpResponseMessage response = await PassThroughWithAsync(admin);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(admin, body);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task The_operators_admin_key_in_authorization_is_refused_for_pass_through_and_never_sent_upstream()
    {
        using HttpResponseMessage response = await PassThroughWithAsync(GatewayFixture.AdminKeyValue);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_gateway.Mock.Requests);
    }

    [Fact]
    public async Task The_operators_admin_key_once_deleted_is_not_made_again_at_the_next_start()
    {
        JsonNode other = await CreateKeyAsync(_gateway.Admin, new JsonObject { ["name"] = "second admin", ["scopes"] = new JsonArray("*") });
        JsonNode list = (await _gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/api-keys?page_size=100"))!;
        string operatorKey = list["data"]!.AsArray()
            .First(k => k!["description"]?.GetValue<string>() == "Set by PORTCULLIS_ADMIN_KEY")!["id"]!.GetValue<string>();
        using HttpClient asOther = _gateway.NewClient(other["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await asOther.DeleteAsync($"/v1/api-keys/{operatorKey}")).StatusCode);

        var refused = await Assert.ThrowsAsync<Portcullis.Hosting.GatewayConfigurationException>(() => _gateway.RestartAsync());

        Assert.Contains("deleted or rotated", refused.Message);
    }

    [Fact]
    public async Task Portkeys_scopes_for_later_features_are_accepted_and_grant_nothing()
    {
        JsonNode created = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "as in portkey's docs",
            ["scopes"] = new JsonArray("logs.export", "logs.view", "configs.read", "virtual_keys.copy"),
        });
        using HttpClient client = _gateway.NewClient(created["key"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/logs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/v1/virtual-keys")).StatusCode);
    }

    [Fact]
    public async Task A_workspace_is_deleted_with_force_given_in_the_body_as_portkeys_sdk_sends_it()
    {
        string workspace = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "sdk delete");
        await WorkspaceKit.CreateVirtualKeyInAsync(_gateway, workspace);
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/admin/workspaces/{workspace}")
        {
            Content = GatewayFixture.Json("""{"force":true}"""),
        };

        using HttpResponseMessage deleted = await _gateway.Admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _gateway.Admin.GetAsync($"/v1/admin/workspaces/{workspace}")).StatusCode);
    }

    [Fact]
    public async Task A_workspace_key_cannot_price_the_models_of_its_own_integration()
    {
        string alpha = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "alpha");
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(
            _gateway, alpha, "workspace_integrations.create", "workspace_integrations.update", "workspace_integrations.read");
        using HttpClient asAlpha = _gateway.NewClient(key);
        using HttpResponseMessage made = await asAlpha.PostAsJsonAsync("/v1/integrations", new JsonObject
        {
            ["name"] = "own", ["ai_provider_id"] = "openai", ["key"] = "sk-own-integration-0001",
            ["create_default_provider"] = false,
        });
        string integration = JsonNode.Parse(await made.Content.ReadAsStringAsync())!["slug"]!.GetValue<string>();
        var free = new JsonObject
        {
            ["type"] = "static",
            ["pay_as_you_go"] = new JsonObject
            {
                ["request_token"] = new JsonObject { ["price"] = 0 }, ["response_token"] = new JsonObject { ["price"] = 0 },
            },
        };

        using HttpResponseMessage priced = await asAlpha.PutAsJsonAsync($"/v1/integrations/{integration}/models",
            new JsonObject { ["models"] = new JsonArray(new JsonObject { ["slug"] = "gpt-4o", ["enabled"] = true, ["pricing_config"] = free }) });
        using HttpResponseMessage listed = await asAlpha.PutAsJsonAsync($"/v1/integrations/{integration}/models",
            new JsonObject { ["models"] = new JsonArray(new JsonObject { ["slug"] = "gpt-4o", ["enabled"] = true }) });

        Assert.Equal(HttpStatusCode.Forbidden, priced.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }

    [Fact]
    public async Task Logs_carry_their_workspace_and_outlive_it_for_organisation_keys()
    {
        string workspace = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "short-lived");
        string slug = await WorkspaceKit.CreateVirtualKeyInAsync(_gateway, workspace);
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, workspace, "completions.write");
        using HttpClient client = _gateway.NewClient(key);
        using HttpResponseMessage sent = await client.SendAsync(WorkspaceKit.Chat(slug));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        await _gateway.WaitForLogsAsync(1);

        Assert.Equal(HttpStatusCode.OK,
            (await _gateway.Admin.DeleteAsync($"/v1/admin/workspaces/{workspace}?force=true")).StatusCode);
        JsonNode logs = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/logs?workspace_id={workspace}"))!;

        JsonNode record = Assert.Single(logs["data"]!.AsArray())!;
        Assert.Equal(workspace, record["workspace_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Force_given_differently_in_the_query_and_the_body_is_refused_and_deletes_nothing()
    {
        string workspace = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "undecided");
        await WorkspaceKit.CreateVirtualKeyInAsync(_gateway, workspace);
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/admin/workspaces/{workspace}?force=false")
        {
            Content = GatewayFixture.Json("""{"force":true}"""),
        };

        using HttpResponseMessage refused = await _gateway.Admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Admin.GetAsync($"/v1/admin/workspaces/{workspace}")).StatusCode);
    }

    [Fact]
    public async Task The_last_admin_without_an_expiry_cannot_be_disabled_while_only_an_expiring_admin_remains()
    {
        JsonNode expiring = await CreateKeyAsync(_gateway.Admin, new JsonObject
        {
            ["name"] = "temporary admin", ["scopes"] = new JsonArray("*"), ["expires_at"] = "2099-01-01T00:00:00Z",
        });
        JsonNode list = (await _gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/api-keys?page_size=100"))!;
        string permanent = list["data"]!.AsArray()
            .First(k => k!["name"]!.GetValue<string>() == "admin" && k["expires_at"] is null)!["id"]!.GetValue<string>();
        using HttpClient asExpiring = _gateway.NewClient(expiring["key"]!.GetValue<string>());

        using HttpResponseMessage disabled = await asExpiring.PutAsync($"/v1/api-keys/{permanent}",
            GatewayFixture.Json("""{"status":"disabled"}"""));

        Assert.Equal(HttpStatusCode.Conflict, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Admin.GetAsync("/v1/api-keys?page_size=1")).StatusCode);
    }

    [Fact]
    public async Task A_data_directory_made_beforehand_becomes_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string directory = Path.Combine(Path.GetTempPath(), "portcullis-tests", "open-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(directory, (UnixFileMode)0b111_101_101);
        GatewayFixture gateway = await GatewayFixture.StartAsync(o => o.DataDirectory = directory);
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(directory));
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    // A pass-through request by a key allowed to make one, with <paramref name="providerKey"/> in Authorization.
    private async Task<HttpResponseMessage> PassThroughWithAsync(string providerKey)
    {
        (_, string caller) = await _gateway.CreateApiKeyAsync("completions.write", "providers.passthrough");
        using HttpClient client = _gateway.NewClient(caller);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json("""{"model":"mock-model","messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Add("x-portkey-provider", "openai");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + providerKey);
        HttpResponseMessage response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<JsonNode> CreateKeyAsync(HttpClient client, JsonObject body)
    {
        using HttpResponseMessage response = await client.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }
}
