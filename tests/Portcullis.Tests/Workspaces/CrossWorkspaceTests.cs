using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.ApiKeys;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>
/// A workspace-B key holding every scope meets workspace A's objects exactly as it meets objects that do not exist:
/// every admin route with a parameter has a row below (the test fails for a route without one, so routes added later
/// must be added here), and no listing shows A's objects to B.
/// </summary>
public sealed class CrossWorkspaceTests : IAsyncLifetime
{
    // Each row: how to call the route on A's object, with the path values and body; and the same for an unknown one.
    // Organisation-only routes refuse a workspace key before any lookup, so their row expects 403 both ways.
    private static readonly Dictionary<string, Row> Rows = new(StringComparer.Ordinal)
    {
        ["GET /v1/virtual-keys/{slug}"] = new(a => ("slug", a.Slug), null),
        ["PUT /v1/virtual-keys/{slug}"] = new(a => ("slug", a.Slug), _ => """{"note":"taken over"}"""),
        ["DELETE /v1/virtual-keys/{slug}"] = new(a => ("slug", a.Slug), null),
        ["GET /v1/api-keys/{id}"] = new(a => ("id", a.ApiKeyId), null),
        ["PUT /v1/api-keys/{id}"] = new(a => ("id", a.ApiKeyId), _ => """{"name":"taken over"}"""),
        ["DELETE /v1/api-keys/{id}"] = new(a => ("id", a.ApiKeyId), null),
        ["POST /v1/api-keys/{id}/rotate"] = new(a => ("id", a.ApiKeyId), _ => """{"key_transition_period_ms":1800000}"""),
        ["POST /v1/api-keys/{type}/{subType}"] = new(
            _ => ("type", "workspace"),
            ws => $$"""{"name":"in A","scopes":["completions.write"],"workspace_id":"{{ws}}"}""",
            IdInBody: true),
        ["GET /v1/integrations/{slug}"] = new(a => ("slug", a.Integration), null),
        ["PUT /v1/integrations/{slug}"] = new(a => ("slug", a.Integration), _ => """{"name":"taken over"}"""),
        ["DELETE /v1/integrations/{slug}"] = new(a => ("slug", a.Integration), null),
        ["GET /v1/integrations/{slug}/models"] = new(a => ("slug", a.Integration), null),
        ["PUT /v1/integrations/{slug}/models"] = new(a => ("slug", a.Integration), _ => """{"allow_all_models":true}"""),
        ["DELETE /v1/integrations/{slug}/models"] = new(a => ("slug", a.Integration), null),
        ["GET /v1/integrations/{slug}/workspaces"] = new(a => ("slug", a.Integration), null),
        ["PUT /v1/integrations/{slug}/workspaces"] = new(
            a => ("slug", a.Integration), ws => $$"""{"workspaces":[{"id":"{{ws}}","enabled":true}]}"""),
        ["GET /v1/providers/{slug}"] = new(a => ("slug", a.Provider), null),
        ["PUT /v1/providers/{slug}"] = new(a => ("slug", a.Provider), _ => """{"note":"taken over"}"""),
        ["DELETE /v1/providers/{slug}"] = new(a => ("slug", a.Provider), null),
        ["GET /v1/admin/workspaces/{workspaceId}"] = new(a => ("workspaceId", a.Workspace), null),
        ["PUT /v1/admin/workspaces/{workspaceId}"] = new(a => ("workspaceId", a.Workspace), _ => """{"name":"taken over"}"""),
        ["DELETE /v1/admin/workspaces/{workspaceId}"] = new(a => ("workspaceId", a.Workspace), null, Expected: 403),
    };

    private GatewayFixture _gateway = null!;
    private Objects _a = null!;
    private Objects _unknown = null!;
    private HttpClient _asB = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayFixture.StartAsync();
        string a = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "A");
        string b = await WorkspaceKit.CreateWorkspaceAsync(_gateway, "B");
        string slug = await WorkspaceKit.CreateVirtualKeyInAsync(_gateway, a, "a key");
        (string apiKeyId, string apiKey) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, a, "completions.write");
        string integration = await Catalog.CatalogKit.CreateIntegrationAsync(
            _gateway, "sk-cross-workspace", new JsonObject { ["workspace_id"] = a });
        string provider = await Catalog.CatalogKit.CreateProviderAsync(
            _gateway, integration, new JsonObject { ["workspace_id"] = a });
        _a = new Objects(a, slug, apiKeyId, integration, provider);
        _unknown = new Objects("ws-unknown-" + Guid.NewGuid().ToString("n")[..6], "unknown-" + Guid.NewGuid().ToString("n")[..6],
            Guid.NewGuid().ToString(), "unknown-int-" + Guid.NewGuid().ToString("n")[..6],
            "unknown-prov-" + Guid.NewGuid().ToString("n")[..6]);
        (_, string keyOfB) = await WorkspaceKit.CreateWorkspaceKeyAsync(_gateway, b, Scopes.All);
        _asB = _gateway.NewClient(keyOfB);

        // A price and a request through A's keys, so A has prices, logs and usage to hide.
        (await _gateway.Admin.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "mock-model", virtual_key = slug, input = 1, output = 2 })).EnsureSuccessStatusCode();
        using HttpClient asA = _gateway.NewClient(apiKey);
        using HttpResponseMessage sent = await asA.SendAsync(WorkspaceKit.Chat(slug));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        await _gateway.WaitForLogsAsync(1);
    }

    public async Task DisposeAsync()
    {
        _asB.Dispose();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public void Every_admin_route_with_a_parameter_has_a_row()
    {
        string[] missing = AdminRouteTable.All(_gateway)
            .Where(r => r.Scope is not null && r.HasParameters && !Rows.ContainsKey(r.Key))
            .Select(r => r.Key)
            .ToArray();

        Assert.True(missing.Length == 0,
            "Add a row to CrossWorkspaceTests.Rows for: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Another_workspaces_object_answers_exactly_as_an_unknown_one_on_every_route_that_takes_an_id()
    {
        var failures = new List<string>();
        AdminRouteTable.Route[] routes = AdminRouteTable.All(_gateway).Where(r => Rows.ContainsKey(r.Key)).ToArray();
        Assert.Equal(Rows.Count, routes.Length);
        foreach (AdminRouteTable.Route route in routes)
        {
            Row row = Rows[route.Key];
            (int status, string body) across = await CallAsync(route, row, _a);
            (int status, string body) unknown = await CallAsync(route, row, _unknown);

            string acrossShape = Placeholders(across.body, _a);
            string unknownShape = Placeholders(unknown.body, _unknown);
            if (across.status != row.Expected || unknown.status != row.Expected || acrossShape != unknownShape)
            {
                failures.Add($"{route.Key}: A's object {across.status} {across.body} | unknown {unknown.status} {unknown.body}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Nothing of A's changed or went away.
        JsonNode key = (await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{_a.Slug}"))!;
        Assert.Null(key["note"]);
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Admin.GetAsync($"/v1/api-keys/{_a.ApiKeyId}")).StatusCode);
        Assert.Equal("Team OpenAI", (await _gateway.Admin.GetFromJsonAsync<JsonNode>(
            $"/v1/integrations/{_a.Integration}"))!["name"]!.GetValue<string>());
        Assert.Null((await _gateway.Admin.GetFromJsonAsync<JsonNode>($"/v1/providers/{_a.Provider}"))!["note"]);
        Assert.Equal("A", (await _gateway.Admin.GetFromJsonAsync<JsonNode>(
            $"/v1/admin/workspaces/{_a.Workspace}"))!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/virtual-keys")]
    [InlineData("/v1/api-keys")]
    [InlineData("/v1/admin/workspaces")]
    [InlineData("/v1/logs")]
    [InlineData("/v1/admin/usage?group_by=virtual_key")]
    [InlineData("/v1/admin/usage?group_by=api_key")]
    [InlineData("/v1/admin/pricing")]
    [InlineData("/v1/integrations")]
    [InlineData("/v1/providers")]
    public async Task Lists_never_show_another_workspaces_objects(string path)
    {
        string seenByAdmin = await _gateway.Admin.GetStringAsync(path + (path.Contains('?') ? "&" : "?") + "page_size=500");
        using HttpResponseMessage response = await _asB.GetAsync(path);
        string seenByB = await response.Content.ReadAsStringAsync();
        using HttpResponseMessage naming = await _asB.GetAsync(
            path + (path.Contains('?') ? "&" : "?") + "workspace_id=" + _a.Workspace);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(seenByAdmin.Contains(_a.Slug) || seenByAdmin.Contains(_a.ApiKeyId) || seenByAdmin.Contains(_a.Workspace) ||
                    seenByAdmin.Contains(_a.Integration),
            $"the organisation key should see A's objects in {path}: {seenByAdmin}");
        Assert.DoesNotContain(_a.Slug, seenByB);
        Assert.DoesNotContain(_a.ApiKeyId, seenByB);
        Assert.DoesNotContain(_a.Workspace, seenByB);
        Assert.DoesNotContain(_a.Integration, seenByB);
        Assert.DoesNotContain(_a.Provider, seenByB);
        if (path != "/v1/admin/workspaces" && path != "/v1/admin/pricing")
        {
            Assert.Equal(HttpStatusCode.NotFound, naming.StatusCode);
        }
    }

    [Fact]
    public async Task Prices_of_another_workspaces_key_answer_as_an_unknown_key()
    {
        using HttpResponseMessage across = await _asB.GetAsync($"/v1/admin/pricing?virtual_key={_a.Slug}");
        using HttpResponseMessage unknown = await _asB.GetAsync($"/v1/admin/pricing?virtual_key={_unknown.Slug}");
        using HttpResponseMessage set = await _asB.PutAsJsonAsync("/v1/admin/pricing",
            new { model = "mock-model", virtual_key = _a.Slug, input = 1, output = 1 });

        Assert.Equal(HttpStatusCode.NotFound, across.StatusCode);
        Assert.Equal(Placeholders(await unknown.Content.ReadAsStringAsync(), _unknown),
            Placeholders(await across.Content.ReadAsStringAsync(), _a));
        Assert.Equal(HttpStatusCode.Forbidden, set.StatusCode); // workspace keys set no prices at all
    }

    private async Task<(int, string)> CallAsync(AdminRouteTable.Route route, Row row, Objects objects)
    {
        (string name, string value) = row.Parameter(objects);
        string path = AdminRouteTable.Fill(route.Template, new Dictionary<string, string> { [name] = value });
        using var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
        if (row.Body is not null)
        {
            request.Content = GatewayFixture.Json(row.Body(objects.Workspace));
        }

        using HttpResponseMessage response = await _asB.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Placeholders(string body, Objects objects) => body
        .Replace(objects.Integration, "<integration>")
        .Replace(objects.Provider, "<provider>")
        .Replace(objects.Slug, "<slug>")
        .Replace(objects.ApiKeyId, "<api-key>")
        .Replace(objects.Workspace, "<workspace>");

    private sealed record Objects(string Workspace, string Slug, string ApiKeyId, string Integration, string Provider);

    private sealed record Row(
        Func<Objects, (string Name, string Value)> Parameter, Func<string, string>? Body, int Expected = 404,
        bool IdInBody = false);
}
