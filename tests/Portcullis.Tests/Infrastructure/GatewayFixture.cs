using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Portcullis.Hosting;
using Portcullis.MockUpstream;

namespace Portcullis.Tests.Infrastructure;

/// <summary>
/// A real gateway on a free loopback port with a real SQLite file in a temporary directory, and a real mock OpenAI
/// server it forwards to. Each test class gets its own (xunit class fixture) or builds one with <see cref="StartAsync"/>.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKeyValue = "pcl-test-admin-key-0123456789abcdef";

    private GatewayInstance? _gateway;

    public MockUpstreamServer Mock { get; private set; } = null!;

    public string DataDirectory { get; private set; } = "";

    public CapturedLogs Logs { get; } = new();

    public Uri BaseUrl { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public GatewayOptions Options { get; private set; } = null!;

    internal GatewayInstance Gateway => _gateway!;

    public Action<GatewayOptions>? Configure { get; init; }

    public TimeProvider? Time { get; init; }

    public static async Task<GatewayFixture> StartAsync(Action<GatewayOptions>? configure = null)
    {
        var fixture = new GatewayFixture { Configure = configure };
        await fixture.InitializeAsync();
        return fixture;
    }

    public async Task InitializeAsync()
    {
        Mock = await MockUpstreamServer.StartAsync();
        DataDirectory = Path.Combine(Path.GetTempPath(), "portcullis-tests", Guid.NewGuid().ToString("n"));
        Options = new GatewayOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = DataDirectory,
            AdminKey = AdminKeyValue,
            ProviderBaseUrls = { ["openai"] = Mock.BaseUrl.ToString() },
        };
        Configure?.Invoke(Options);
        await StartGatewayAsync();
    }

    /// <summary>Stops the gateway (draining) and starts a new process-equivalent on the same data directory.</summary>
    public async Task RestartAsync(Action<GatewayOptions>? change = null)
    {
        await _gateway!.StopAsync();
        await _gateway.DisposeAsync();
        change?.Invoke(Options);
        Options.Urls = "http://127.0.0.1:0";
        await StartGatewayAsync();
    }

    private async Task StartGatewayAsync()
    {
        _gateway = await GatewayHost.BuildAsync(Options, Time, logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(Logs);
        });
        await _gateway.StartAsync();
        BaseUrl = new Uri(_gateway.Addresses.First().Replace("[::]", "127.0.0.1"));
        Admin?.Dispose();
        Admin = NewClient(AdminKeyValue);
    }

    /// <summary>A client for the gateway that sends <paramref name="gatewayKey"/> in x-portkey-api-key.</summary>
    public HttpClient NewClient(string? gatewayKey = null, HttpMessageHandler? handler = null)
    {
        var client = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true)
        {
            BaseAddress = BaseUrl,
            Timeout = TimeSpan.FromSeconds(100),
        };
        if (gatewayKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-portkey-api-key", gatewayKey);
        }

        return client;
    }

    public async Task<string> CreateVirtualKeyAsync(string providerKey, string name = "test key", JsonObject? extra = null)
    {
        var body = new JsonObject { ["name"] = name, ["provider"] = "openai", ["key"] = providerKey };
        foreach ((string k, JsonNode? v) in extra ?? [])
        {
            body[k] = v?.DeepClone();
        }

        using HttpResponseMessage response = await Admin.PostAsJsonAsync("/v1/virtual-keys", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
    }

    public async Task<(string Id, string Key)> CreateApiKeyAsync(params string[] scopes)
    {
        var body = new JsonObject { ["name"] = "app", ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)s).ToArray()) };
        using HttpResponseMessage response = await Admin.PostAsJsonAsync("/v1/api-keys/organisation/service", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        JsonNode node = JsonNode.Parse(text)!;
        return (node["id"]!.GetValue<string>(), node["key"]!.GetValue<string>());
    }

    /// <summary>Waits until the request log holds at least <paramref name="count"/> records, and returns them newest first.</summary>
    public async Task<JsonArray> WaitForLogsAsync(int count, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            JsonNode page = (await Admin.GetFromJsonAsync<JsonNode>("/v1/logs?page_size=500"))!;
            JsonArray data = page["data"]!.AsArray();
            if (data.Count >= count || DateTime.UtcNow > deadline)
            {
                return data;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Runs the real <c>portcullis</c> program against this gateway with its admin key, plus
    /// <paramref name="environment"/> (which may override either).
    /// </summary>
    public Task<Cli.CliResult> RunCliAsync(
        string[] args, IReadOnlyDictionary<string, string?>? environment = null, string? standardInput = null)
    {
        var merged = new Dictionary<string, string?>
        {
            ["PORTCULLIS_URL"] = BaseUrl.ToString(),
            ["PORTCULLIS_ADMIN_KEY"] = AdminKeyValue,
        };
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            merged[name] = value;
        }

        return Cli.PortcullisProcess.RunAsync(args, merged, standardInput);
    }

    public static HttpContent Json(string json) => new StringContent(json, MediaTypeHeaderValue.Parse("application/json"));

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.StopAsync();
            await _gateway.DisposeAsync();
        }

        await Mock.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
