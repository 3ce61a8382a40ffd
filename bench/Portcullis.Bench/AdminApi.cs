using System.Net.Http.Json;
using System.Text.Json;

namespace Portcullis.Bench;

/// <summary>
/// The few admin calls the bench needs: a gateway API key, virtual keys, a model's price, and a budget's spend, all
/// with the admin key.
/// </summary>
internal sealed class AdminApi(HttpClient client, Uri gatewayBase, string adminKey)
{
    /// <summary>
    /// Creates an organisation service key with only <c>completions.write</c>, and the <c>usage_limits</c> given (a
    /// JSON-serialisable value, or null for none); returns the key itself and its id.
    /// </summary>
    public async Task<(string Key, string Id)> CreateGatewayKeyAsync(
        string name, object? usageLimits, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?> { ["name"] = name, ["scopes"] = (string[])["completions.write"] };
        if (usageLimits is not null)
        {
            body["usage_limits"] = usageLimits;
        }

        JsonElement answer = await SendAsync(HttpMethod.Post, "v1/api-keys/organisation/service", body, cancellationToken);
        return answer.TryGetProperty("key", out JsonElement key) && key.GetString() is { Length: > 0 } value
            && answer.TryGetProperty("id", out JsonElement id) && id.GetString() is { Length: > 0 } idValue
            ? (value, idValue)
            : throw new BenchSetupException("The admin API created an API key but returned no 'key' or 'id'.");
    }

    /// <summary>
    /// Creates a virtual key of <paramref name="provider"/> holding <paramref name="providerKey"/>, with the optional
    /// custom headers, <c>usage_limits</c> and <c>rate_limits</c>; returns its slug.
    /// </summary>
    public async Task<string> CreateVirtualKeyAsync(
        string name,
        string providerKey,
        IReadOnlyDictionary<string, string>? customHeaders,
        CancellationToken cancellationToken,
        string provider = "openai",
        object? usageLimits = null,
        object? rateLimits = null)
    {
        var body = new Dictionary<string, object?> { ["name"] = name, ["provider"] = provider, ["key"] = providerKey };
        if (customHeaders is not null)
        {
            body["custom_headers"] = customHeaders;
        }

        if (usageLimits is not null)
        {
            body["usage_limits"] = usageLimits;
        }

        if (rateLimits is not null)
        {
            body["rate_limits"] = rateLimits;
        }

        JsonElement answer = await SendAsync(HttpMethod.Post, "v1/virtual-keys", body, cancellationToken);
        return answer.TryGetProperty("data", out JsonElement data) && data.TryGetProperty("slug", out JsonElement slug)
            && slug.GetString() is { Length: > 0 } value
            ? value
            : throw new BenchSetupException("The admin API created a virtual key but returned no data.slug.");
    }

    /// <summary>Sets the organisation-wide price of <paramref name="model"/>, in USD per million tokens.</summary>
    public Task SetPriceAsync(string model, decimal input, decimal output, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "v1/admin/pricing", new { model, input, output }, cancellationToken);

    /// <summary>
    /// The <c>current_usage</c> in dollars of the cost budget of a virtual key (<c>v1/virtual-keys/{slug}</c>) or an
    /// API key (<c>v1/api-keys/{id}</c>), or null when it has none or the answer cannot be read. Never throws for that.
    /// </summary>
    public async Task<decimal?> CostSpentAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            JsonElement answer = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
            if (!answer.TryGetProperty("usage_limits", out JsonElement limits))
            {
                return null;
            }

            JsonElement[] each = limits.ValueKind == JsonValueKind.Array ? [.. limits.EnumerateArray()] : [limits];
            foreach (JsonElement limit in each)
            {
                if (limit.ValueKind == JsonValueKind.Object
                    && limit.TryGetProperty("type", out JsonElement type) && type.GetString() == "cost"
                    && limit.TryGetProperty("current_usage", out JsonElement usage))
                {
                    return usage.ValueKind == JsonValueKind.Number ? usage.GetDecimal() : null;
                }
            }

            return null;
        }
        catch (Exception e) when (e is BenchSetupException or HttpRequestException or JsonException)
        {
            return null;
        }
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(gatewayBase, path))
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        request.Headers.TryAddWithoutValidation("x-portkey-api-key", adminKey);
        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchSetupException($"{method} /{path} answered {(int)response.StatusCode}: {text}");
        }

        using JsonDocument document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
