using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Bench;

/// <summary>The few admin calls the bench needs: a gateway API key and virtual keys, created with the admin key.</summary>
internal sealed class AdminApi(HttpClient client, Uri gatewayBase, string adminKey)
{
    /// <summary>Creates an organisation service key with only <c>completions.write</c>; returns the key itself.</summary>
    public async Task<string> CreateGatewayKeyAsync(string name, CancellationToken cancellationToken)
    {
        JsonElement answer = await PostAsync(
            "v1/api-keys/organisation/service", new { name, scopes = (string[])["completions.write"] }, cancellationToken);
        return answer.TryGetProperty("key", out JsonElement key) && key.GetString() is { Length: > 0 } value
            ? value
            : throw new BenchSetupException("The admin API created an API key but returned no 'key'.");
    }

    /// <summary>Creates an <c>openai</c> virtual key holding <paramref name="providerKey"/>; returns its slug.</summary>
    public async Task<string> CreateVirtualKeyAsync(
        string name,
        string providerKey,
        IReadOnlyDictionary<string, string>? customHeaders,
        CancellationToken cancellationToken,
        string provider = "openai")
    {
        object body = customHeaders is null
            ? new { name, provider, key = providerKey }
            : new { name, provider, key = providerKey, custom_headers = customHeaders };
        JsonElement answer = await PostAsync("v1/virtual-keys", body, cancellationToken);
        return answer.TryGetProperty("data", out JsonElement data) && data.TryGetProperty("slug", out JsonElement slug)
            && slug.GetString() is { Length: > 0 } value
            ? value
            : throw new BenchSetupException("The admin API created a virtual key but returned no data.slug.");
    }

    private async Task<JsonElement> PostAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gatewayBase, path))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.TryAddWithoutValidation("x-portkey-api-key", adminKey);
        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchSetupException($"POST /{path} answered {(int)response.StatusCode}: {text}");
        }

        using JsonDocument document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
