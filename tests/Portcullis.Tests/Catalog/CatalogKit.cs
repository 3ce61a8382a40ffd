using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Catalog;

/// <summary>Shared steps of the catalog tests: integrations, their models and grants, and providers made from them.</summary>
internal static class CatalogKit
{
    public static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = GatewayFixture.Json(body.ToJsonString());
        }

        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>An OpenAI integration holding <paramref name="key"/>; returns its slug.</summary>
    public static async Task<string> CreateIntegrationAsync(GatewayFixture gateway, string key, JsonObject? extra = null)
    {
        var body = new JsonObject { ["name"] = "Team OpenAI", ["ai_provider_id"] = "openai", ["key"] = key };
        foreach ((string name, JsonNode? value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return (await SendAsync(gateway.Admin, HttpMethod.Post, "/v1/integrations", body))["slug"]!.GetValue<string>();
    }

    /// <summary>A provider of <paramref name="integration"/> in the default workspace; returns its slug.</summary>
    public static async Task<string> CreateProviderAsync(GatewayFixture gateway, string integration, JsonObject? extra = null)
    {
        var body = new JsonObject { ["name"] = "team provider", ["integration_id"] = integration };
        foreach ((string name, JsonNode? value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        return (await SendAsync(gateway.Admin, HttpMethod.Post, "/v1/providers", body))["slug"]!.GetValue<string>();
    }

    /// <summary>Organisation integrations serve a workspace once granted: this grants the default one.</summary>
    public static Task GrantDefaultWorkspaceAsync(GatewayFixture gateway, string integration, JsonObject? limits = null)
    {
        var grant = new JsonObject { ["id"] = "default", ["enabled"] = true };
        foreach ((string name, JsonNode? value) in limits ?? [])
        {
            grant[name] = value?.DeepClone();
        }

        return SendAsync(gateway.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/workspaces",
            new JsonObject { ["workspaces"] = new JsonArray(grant) });
    }

    public static Task SetModelsAsync(GatewayFixture gateway, string integration, bool allowAll, params JsonObject[] models) =>
        SendAsync(gateway.Admin, HttpMethod.Put, $"/v1/integrations/{integration}/models", new JsonObject
        {
            ["allow_all_models"] = allowAll,
            ["models"] = new JsonArray(models.Select(m => (JsonNode)m).ToArray()),
        });

    public static JsonObject Model(string slug, bool enabled = true) => new() { ["slug"] = slug, ["enabled"] = enabled };

    public static async Task<long> TotalAsync(GatewayFixture gateway, string path) =>
        (await gateway.Admin.GetFromJsonAsync<JsonNode>(path))!["total"]!.GetValue<long>();
}
