using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// The CLI's way to a running gateway: its admin API at <c>PORTCULLIS_URL</c> with the key in
/// <c>PORTCULLIS_ADMIN_KEY</c>. Prints JSON with <c>--json</c>, a short summary otherwise.
/// </summary>
internal sealed class AdminClient : IDisposable
{
    public const int ExitOk = 0;
    public const int ExitApiError = 1;
    public const int ExitUsage = 2;
    public const int ExitUnreachable = 3;

    private readonly HttpClient _http;

    public AdminClient()
    {
        _http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
    }

    // Checks PORTCULLIS_URL and PORTCULLIS_ADMIN_KEY; a trailing /v1 (as SDK base URLs have) is accepted.
    private string? Configure()
    {
        string url = (Environment.GetEnvironmentVariable("PORTCULLIS_URL") ?? "http://127.0.0.1:8787").Trim().TrimEnd('/');
        if (url.EndsWith("/v1", StringComparison.Ordinal))
        {
            url = url[..^3];
        }

        if (!Uri.TryCreate(url + "/", UriKind.Absolute, out Uri? baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            return "PORTCULLIS_URL must be an http(s) URL such as http://127.0.0.1:8787.";
        }

        string? key = Environment.GetEnvironmentVariable("PORTCULLIS_ADMIN_KEY")?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            return "set PORTCULLIS_ADMIN_KEY to an admin key (and PORTCULLIS_URL if not local).";
        }

        if (key.Any(c => c is < '!' or > '~'))
        {
            return "PORTCULLIS_ADMIN_KEY holds characters no API key has (spaces, line breaks or non-ASCII).";
        }

        _http.BaseAddress = baseUri;
        _http.DefaultRequestHeaders.Remove("x-portkey-api-key");
        _http.DefaultRequestHeaders.Add("x-portkey-api-key", key);
        return null;
    }

    public async Task<int> SendAsync(
        HttpMethod method, string path, JsonObject? body, bool json, Func<JsonNode, string> summary, CancellationToken cancellationToken)
    {
        if (Configure() is { } problem)
        {
            Console.Error.WriteLine($"portcullis: {problem}");
            return ExitUsage;
        }

        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"portcullis: cannot reach the gateway at {_http.BaseAddress}: {e.Message}");
            return ExitUnreachable;
        }

        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? node = null;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON: reported as it is below.
            }

            if (!response.IsSuccessStatusCode)
            {
                string message = node?["error"]?["message"]?.GetValue<string>() ?? text;
                if (json)
                {
                    Console.Out.WriteLine(text);
                }

                Console.Error.WriteLine($"portcullis: {(int)response.StatusCode}: {message}");
                return ExitApiError;
            }

            Console.Out.WriteLine(json || node is null
                ? (node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? text)
                : summary(node));
            return ExitOk;
        }
    }

    public void Dispose() => _http.Dispose();
}
