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

    // Checks PORTCULLIS_URL and PORTCULLIS_ADMIN_KEY; a trailing /v1 (as SDK base URLs have) is accepted. Once set up, the
    // client stays as it is for the command's further calls (HttpClient refuses changes after its first request).
    private string? Configure()
    {
        if (_http.BaseAddress is not null)
        {
            return null;
        }

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
        (int exitCode, JsonNode? node, string text) = await ExchangeAsync(method, path, body, json, cancellationToken);
        if (exitCode == ExitOk)
        {
            Console.Out.WriteLine(json || node is null
                ? (node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? text)
                : summary(node));
        }

        return exitCode;
    }

    /// <summary>
    /// Reads one resource that a command needs before it sends its change, printing nothing on success; a refusal or an
    /// unreachable gateway is reported as <see cref="SendAsync"/> reports it, and its exit code returned.
    /// </summary>
    public async Task<(int ExitCode, JsonNode? Answer)> ReadAsync(string path, bool json, CancellationToken cancellationToken)
    {
        (int exitCode, JsonNode? node, _) = await ExchangeAsync(HttpMethod.Get, path, null, json, cancellationToken);
        return (exitCode, node);
    }

    // One call to the admin API; a failure is printed here (stderr, and the gateway's answer on stdout with --json).
    private async Task<(int ExitCode, JsonNode? Answer, string Text)> ExchangeAsync(
        HttpMethod method, string path, JsonObject? body, bool json, CancellationToken cancellationToken)
    {
        if (Configure() is { } problem)
        {
            Console.Error.WriteLine($"portcullis: {problem}");
            return (ExitUsage, null, "");
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
            return (ExitUnreachable, null, "");
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
                return (ExitApiError, node, text);
            }

            return (ExitOk, node, text);
        }
    }

    public void Dispose() => _http.Dispose();
}
