using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>The workspace routes: Portkey's fields and envelopes, who may do what, and deletion with and without force.</summary>
public sealed class WorkspaceAdminTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task The_default_workspace_exists_from_the_first_start_and_cannot_be_deleted()
    {
        JsonNode workspace = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/admin/workspaces/default"))!;
        using HttpResponseMessage deleted = await fixture.Admin.DeleteAsync("/v1/admin/workspaces/default?force=true");

        Assert.Equal("default", workspace["id"]!.GetValue<string>());
        Assert.Equal("workspace", workspace["object"]!.GetValue<string>());
        Assert.Equal(1, workspace["defaults"]!["is_default"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Conflict, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync("/v1/admin/workspaces/default")).StatusCode);
    }

    [Fact]
    public async Task The_default_workspace_is_created_once_across_restarts()
    {
        GatewayFixture gateway = await GatewayFixture.StartAsync();
        try
        {
            await gateway.RestartAsync();
            JsonNode list = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/admin/workspaces"))!;

            Assert.Equal(1, list["total"]!.GetValue<int>());
            Assert.Equal("default", list["data"]![0]!["id"]!.GetValue<string>());
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_workspace_is_created_read_listed_by_name_updated_and_deleted_with_portkeys_fields()
    {
        string name = "Search team " + Guid.NewGuid().ToString("n")[..6];
        string id = await WorkspaceKit.CreateWorkspaceAsync(fixture, name, new JsonObject
        {
            ["description"] = "ranking models",
            ["defaults"] = new JsonObject { ["metadata"] = new JsonObject { ["team"] = "search" } },
            ["usage_limits"] = new JsonArray(new JsonObject { ["type"] = "tokens", ["credit_limit"] = 1000 }),
        });

        JsonNode read = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/admin/workspaces/{id}"))!;
        JsonNode byName = (await fixture.Admin.GetFromJsonAsync<JsonNode>(
            $"/v1/admin/workspaces?name={Uri.EscapeDataString(name[7..])}"))!;
        using HttpResponseMessage updated = await fixture.Admin.PutAsJsonAsync(
            $"/v1/admin/workspaces/{id}", new { name = "Renamed", rate_limits = new[] { new { type = "requests", unit = "rpm", value = 5 } } });
        JsonNode afterUpdate = await WorkspaceKit.JsonOf(updated);
        using HttpResponseMessage deleted = await fixture.Admin.DeleteAsync($"/v1/admin/workspaces/{id}");

        Assert.StartsWith("ws-search-team-", id);
        Assert.Equal(id, read["slug"]!.GetValue<string>());
        Assert.Equal(name, read["name"]!.GetValue<string>());
        Assert.Equal("ranking models", read["description"]!.GetValue<string>());
        Assert.Equal("search", read["defaults"]!["metadata"]!["team"]!.GetValue<string>());
        Assert.Equal(1000, read["usage_limits"]!["credit_limit"]!.GetValue<int>());
        Assert.Equal(0, read["usage_limits"]!["current_usage"]!.GetValue<int>());
        Assert.Equal([id], byName["data"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("Renamed", afterUpdate["name"]!.GetValue<string>());
        Assert.Equal(5, afterUpdate["rate_limits"]![0]!["value"]!.GetValue<int>());
        Assert.Equal("ranking models", afterUpdate["description"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/admin/workspaces/{id}")).StatusCode);
    }

    [Fact]
    public async Task Delete_is_refused_while_the_workspace_holds_keys_and_says_what_it_holds()
    {
        string id = await WorkspaceKit.CreateWorkspaceAsync(fixture, "holds keys");
        string slug = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, id);
        await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, id, "completions.write");

        using HttpResponseMessage refused = await fixture.Admin.DeleteAsync($"/v1/admin/workspaces/{id}");
        string message = (await WorkspaceKit.JsonOf(refused))["error"]!["message"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("1 virtual key or provider", message);
        Assert.Contains("1 API key", message);
        Assert.Contains("force=true", message);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync($"/v1/virtual-keys/{slug}")).StatusCode);
    }

    [Fact]
    public async Task Delete_with_force_removes_the_keys_their_prices_and_budgets_but_keeps_the_request_logs()
    {
        GatewayFixture gateway = await GatewayFixture.StartAsync();
        try
        {
            string id = await WorkspaceKit.CreateWorkspaceAsync(gateway, "to go");
            string slug = await gateway.CreateVirtualKeyAsync("sk-ws-force", "doomed", new JsonObject
            {
                ["workspace_id"] = id,
                ["usage_limits"] = new JsonObject { ["type"] = "tokens", ["credit_limit"] = 100_000 },
            });
            (string apiKeyId, string apiKey) = await WorkspaceKit.CreateWorkspaceKeyAsync(gateway, id, "completions.write");
            (await gateway.Admin.PutAsJsonAsync("/v1/admin/pricing",
                new { model = "mock-model", virtual_key = slug, input = 1, output = 2 })).EnsureSuccessStatusCode();
            using HttpClient client = gateway.NewClient(apiKey);
            using (HttpResponseMessage sent = await client.SendAsync(WorkspaceKit.Chat(slug)))
            {
                Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
            }

            await gateway.WaitForLogsAsync(1);

            using HttpResponseMessage deleted = await gateway.Admin.DeleteAsync($"/v1/admin/workspaces/{id}?force=true");
            JsonNode answer = await WorkspaceKit.JsonOf(deleted);

            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            Assert.Equal([slug], answer["deleted_virtual_keys"]!.AsArray().Select(s => s!.GetValue<string>()));
            Assert.Equal([apiKeyId], answer["deleted_api_keys"]!.AsArray().Select(s => s!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.NotFound, (await gateway.Admin.GetAsync($"/v1/virtual-keys/{slug}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await gateway.Admin.GetAsync($"/v1/api-keys/{apiKeyId}")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(WorkspaceKit.Chat(slug))).StatusCode);
            string prices = await gateway.Admin.GetStringAsync("/v1/admin/pricing");
            Assert.DoesNotContain(slug, prices);
            JsonNode logs = (await gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/logs?workspace_id=default"))!;
            Assert.Equal(0, logs["total"]!.GetValue<int>());
            JsonNode all = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/logs"))!;
            // The refused request after the delete is logged too (behind the request), so the record is looked for.
            Assert.Contains(all["data"]!.AsArray(), l => l!["virtual_key"]?.GetValue<string>() == slug);
            JsonNode audit = (await gateway.Admin.GetFromJsonAsync<JsonNode>("/v1/audit-logs"))!;
            Assert.Contains(audit["data"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "workspace.delete" &&
                a["target_id"]!.GetValue<string>() == id);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task Delete_counts_the_workspaces_integrations_and_force_removes_them_their_secrets_and_every_grant()
    {
        string id = await WorkspaceKit.CreateWorkspaceAsync(fixture, "with integrations");
        long secretsBefore = await SecretCountAsync();
        string own = await Catalog.CatalogKit.CreateIntegrationAsync(
            fixture, "sk-ws-own-integration-0001", new JsonObject { ["workspace_id"] = id });
        string organisation = await Catalog.CatalogKit.CreateIntegrationAsync(fixture, "sk-ws-org-integration-0001");
        await Catalog.CatalogKit.SendAsync(fixture.Admin, HttpMethod.Put, $"/v1/integrations/{organisation}/workspaces",
            JsonNode.Parse($$"""{"workspaces":[{"id":"{{id}}","enabled":true}]}"""));

        using HttpResponseMessage refused = await fixture.Admin.DeleteAsync($"/v1/admin/workspaces/{id}");
        string message = (await refused.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["message"]!.GetValue<string>();
        using HttpResponseMessage forced = await fixture.Admin.DeleteAsync($"/v1/admin/workspaces/{id}?force=true");
        JsonNode grants = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/integrations/{organisation}/workspaces"))!;

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("1 integration", message);
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/integrations/{own}")).StatusCode);
        Assert.DoesNotContain(id, grants.ToJsonString());
        Assert.Equal(secretsBefore + 1, await SecretCountAsync()); // the organisation integration's key is all that is left
    }

    private async Task<long> SecretCountAsync()
    {
        JsonNode vault = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/admin/vault"))!;
        return vault["versions"]!.AsArray().Sum(v => v!["secrets"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_workspace_key_reads_and_updates_its_own_workspace_but_cannot_create_or_delete_workspaces()
    {
        string own = await WorkspaceKit.CreateWorkspaceAsync(fixture, "own");
        string other = await WorkspaceKit.CreateWorkspaceAsync(fixture, "other");
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, own, "*");
        using HttpClient client = fixture.NewClient(key);

        JsonNode list = (await client.GetFromJsonAsync<JsonNode>("/v1/admin/workspaces"))!;
        using HttpResponseMessage update = await client.PutAsJsonAsync($"/v1/admin/workspaces/{own}", new { description = "mine" });
        using HttpResponseMessage create = await client.PostAsJsonAsync("/v1/admin/workspaces", new { name = "new" });
        using HttpResponseMessage delete = await client.DeleteAsync($"/v1/admin/workspaces/{own}");

        Assert.Equal([own], list["data"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/admin/workspaces/{other}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await client.PutAsJsonAsync($"/v1/admin/workspaces/{other}", new { description = "theirs" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
    }

    [Fact]
    public async Task A_workspace_key_creates_only_workspace_keys_and_only_in_its_own_workspace()
    {
        string own = await WorkspaceKit.CreateWorkspaceAsync(fixture, "minting");
        string other = await WorkspaceKit.CreateWorkspaceAsync(fixture, "elsewhere");
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, own, "*");
        using HttpClient client = fixture.NewClient(key);

        using HttpResponseMessage organisation = await client.PostAsJsonAsync("/v1/api-keys/organisation/service",
            new { name = "up", scopes = new[] { "completions.write" } });
        using HttpResponseMessage elsewhere = await client.PostAsJsonAsync("/v1/api-keys/workspace/service",
            new { name = "across", scopes = new[] { "completions.write" }, workspace_id = other });
        using HttpResponseMessage inOwn = await client.PostAsJsonAsync("/v1/api-keys/workspace/user",
            new { name = "here", scopes = new[] { "completions.write" } });
        JsonNode created = await WorkspaceKit.JsonOf(inOwn);
        JsonNode record = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{created["id"]}"))!;

        Assert.Equal(HttpStatusCode.Forbidden, organisation.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.OK, inOwn.StatusCode);
        Assert.Equal(own, record["workspace_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Creating_in_a_workspace_that_does_not_exist_is_404()
    {
        using HttpResponseMessage virtualKey = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys",
            new { name = "x", provider = "openai", key = "sk-nowhere", workspace_id = "ws-nowhere" });
        using HttpResponseMessage apiKey = await fixture.Admin.PostAsJsonAsync("/v1/api-keys/workspace/service",
            new { name = "x", scopes = new[] { "completions.write" }, workspace_id = "ws-nowhere" });

        Assert.Equal(HttpStatusCode.NotFound, virtualKey.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, apiKey.StatusCode);
    }

    [Fact]
    public async Task Vault_routes_and_every_price_are_for_organisation_keys_only()
    {
        string own = await WorkspaceKit.CreateWorkspaceAsync(fixture, "no vault");
        (_, string key) = await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, own, "*");
        using HttpClient client = fixture.NewClient(key);
        string slug = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, own);

        using HttpResponseMessage vault = await client.GetAsync("/v1/admin/vault");
        using HttpResponseMessage orgPrice = await client.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "ws-model", input = 1, output = 2 });
        using HttpResponseMessage ownPrice = await client.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "ws-model", virtual_key = slug, input = 1, output = 2 });

        Assert.Equal(HttpStatusCode.Forbidden, vault.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, orgPrice.StatusCode);

        // A price on its own key would decide what the budgets the organisation set on the workspace are charged.
        Assert.Equal(HttpStatusCode.Forbidden, ownPrice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/admin/pricing?virtual_key={slug}")).StatusCode);
    }
}
