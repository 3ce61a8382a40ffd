using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>Creates workspaces, workspace keys and the objects the workspace tests look for, through the admin API.</summary>
internal static class WorkspaceKit
{
    public static async Task<string> CreateWorkspaceAsync(GatewayFixture gateway, string name, JsonObject? extra = null)
    {
        var body = new JsonObject { ["name"] = name };
        foreach ((string k, JsonNode? v) in extra ?? [])
        {
            body[k] = v?.DeepClone();
        }

        using HttpResponseMessage response = await gateway.Admin.PostAsJsonAsync("/v1/admin/workspaces", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    /// <summary>A <c>workspace-service</c> key of <paramref name="workspaceId"/> with the given scopes.</summary>
    public static async Task<(string Id, string Key)> CreateWorkspaceKeyAsync(
        GatewayFixture gateway, string workspaceId, params string[] scopes)
    {
        var body = new JsonObject
        {
            ["name"] = "workspace app",
            ["workspace_id"] = workspaceId,
            ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)s).ToArray()),
        };
        using HttpResponseMessage response = await gateway.Admin.PostAsJsonAsync("/v1/api-keys/workspace/service", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        JsonNode node = JsonNode.Parse(text)!;
        return (node["id"]!.GetValue<string>(), node["key"]!.GetValue<string>());
    }

    public static Task<string> CreateVirtualKeyInAsync(GatewayFixture gateway, string workspaceId, string name = "ws key") =>
        gateway.CreateVirtualKeyAsync("sk-ws-test-" + Guid.NewGuid().ToString("n"), name,
            new JsonObject { ["workspace_id"] = workspaceId });

    public static HttpRequestMessage Chat(string? virtualKeyHeader, string model = "mock-model", string? providerHeader = null)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = GatewayFixture.Json(body.ToJsonString()),
        };
        if (virtualKeyHeader is not null)
        {
            request.Headers.Add("x-portkey-virtual-key", virtualKeyHeader);
        }

        if (providerHeader is not null)
        {
            request.Headers.Add("x-portkey-provider", providerHeader);
        }

        return request;
    }

    public static async Task<JsonNode> JsonOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
}
