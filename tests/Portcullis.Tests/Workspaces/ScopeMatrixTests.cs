using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.ApiKeys;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>
/// Walks every route the gateway mapped: each admin route declares a scope; without a key it is 401, with every
/// scope but its own 403, with only its own scope (organisation key) it is let through; organisation-only routes refuse
/// a workspace key holding '*'; the data plane refuses a key without completions.write.
/// </summary>
public sealed class ScopeMatrixTests : IAsyncLifetime
{
    // Bodies for routes whose declared scope suffices only for workspace-level objects: an organisation-level
    // integration also needs organisation_integrations.*, which the integration tests prove.
    private static readonly Dictionary<string, string> Bodies = new(StringComparer.Ordinal)
    {
        ["POST /v1/integrations"] = """{"workspace_id":"default"}""",
    };

    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync();

    public Task DisposeAsync() => _gateway.DisposeAsync();

    [Fact]
    public void Every_v1_route_outside_the_data_plane_declares_its_scope()
    {
        IReadOnlyList<AdminRouteTable.Route> routes = AdminRouteTable.All(_gateway);
        string[] undeclared = routes
            .Where(r => r.Scope is null && !AdminRouteTable.DataPlane.Contains(r.Template))
            .Select(r => r.Key)
            .ToArray();

        Assert.Contains(routes, r => r.Template == "/v1/admin/workspaces/{workspaceId}");
        Assert.True(undeclared.Length == 0, "Routes without an AdminScope: " + string.Join(", ", undeclared));
        Assert.All(routes.Where(r => r.Scope is not null), r => Assert.Contains(r.Scope!.Scope, Scopes.Known));
    }

    [Fact]
    public async Task Every_admin_route_refuses_no_key_and_a_key_lacking_its_scope_and_admits_its_scope_alone()
    {
        IReadOnlyList<AdminRouteTable.Route> routes =
            AdminRouteTable.All(_gateway).Where(r => r.Scope is not null).ToArray();
        (_, string workspaceStar) = await WorkspaceKit.CreateWorkspaceKeyAsync(
            _gateway, await WorkspaceKit.CreateWorkspaceAsync(_gateway, "matrix"), Scopes.All);
        var withoutScope = new Dictionary<string, string>(StringComparer.Ordinal);
        var onlyScope = new Dictionary<string, string>(StringComparer.Ordinal);
        var failures = new List<string>();
        Assert.NotEmpty(routes);

        foreach (AdminRouteTable.Route route in routes)
        {
            string scope = route.Scope!.Scope;
            if (!withoutScope.ContainsKey(scope))
            {
                withoutScope[scope] = (await _gateway.CreateApiKeyAsync(
                    Scopes.Known.Where(s => s != scope && s != Scopes.All).ToArray())).Key;
                onlyScope[scope] = (await _gateway.CreateApiKeyAsync(scope)).Key;
            }

            string path = AdminRouteTable.Fill(route.Template);
            string? body = Bodies.GetValueOrDefault(route.Key);
            Check(route, "no key", await SendAsync(route.Method, path, null, body), s => s == 401, failures);
            Check(route, "every scope but its own", await SendAsync(route.Method, path, withoutScope[scope], body),
                s => s == 403, failures);
            Check(route, "only its scope", await SendAsync(route.Method, path, onlyScope[scope], body),
                s => s is not (401 or 403), failures);
            if (route.Scope.OrganisationOnly)
            {
                Check(route, "workspace key with '*'", await SendAsync(route.Method, path, workspaceStar, body),
                    s => s == 403, failures);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_data_plane_route_refuses_a_key_without_completions_write()
    {
        string slug = await _gateway.CreateVirtualKeyAsync("sk-matrix");
        (_, string key) = await _gateway.CreateApiKeyAsync(
            Scopes.Known.Where(s => s is not (Scopes.CompletionsWrite or Scopes.All)).ToArray());
        using HttpClient client = _gateway.NewClient(key);
        var failures = new List<string>();

        AdminRouteTable.Route[] dataPlane = AdminRouteTable.All(_gateway)
            .Where(r => AdminRouteTable.DataPlane.Contains(r.Template) && r.Template != "/v1/health")
            .ToArray();
        Assert.Equal(5, dataPlane.Length);
        foreach (AdminRouteTable.Route route in dataPlane)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Template);
            request.Headers.Add("x-portkey-virtual-key", slug);
            if (route.Method == "POST")
            {
                request.Content = GatewayFixture.Json("""{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"input":"hi","prompt":"hi","max_tokens":5}""");
            }

            using HttpResponseMessage response = await client.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Forbidden)
            {
                failures.Add($"{route.Key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.Empty(_gateway.Mock.Requests);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private async Task<(int Status, string Body)> SendAsync(string method, string path, string? key, string? body)
    {
        using HttpClient client = _gateway.NewClient(key);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = GatewayFixture.Json(body ?? "{}");
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void Check(
        AdminRouteTable.Route route, string who, (int Status, string Body) answer, Func<int, bool> expected,
        List<string> failures)
    {
        if (!expected(answer.Status))
        {
            failures.Add($"{route.Key} with {who}: {answer.Status} {answer.Body}");
        }
    }
}
