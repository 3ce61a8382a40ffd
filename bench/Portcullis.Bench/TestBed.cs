using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Portcullis.Bench;

/// <summary>
/// The two servers under test, on 127.0.0.1 only: the mock upstream in benchmark mode, and Portcullis (a fresh data
/// directory, keys from the environment, <c>openai</c> pointed at the mock), with an API key and virtual keys made
/// through its admin API: plain ones, and a governed pair (an API key and a virtual key with budgets and rate limits far
/// above anything the run can reach) for the cost of governance. Disposing kills both and deletes the data directory.
/// </summary>
internal sealed class TestBed : IDisposable
{
    private const string ListeningPrefix = "listening on ";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Inherited settings that could steer the gateway elsewhere are dropped before ours are set.
    private static readonly string[] DroppedVariables = ["PORTCULLIS_", "Portcullis__", "ASPNETCORE_URLS", "DOTNET_URLS"];

    // The governed keys' budgets: a hard cost budget of a million dollars (the most a budget may hold), reset monthly.
    private static readonly object GovernedBudget =
        new { type = "cost", credit_limit = 1_000_000, periodic_reset = "monthly", enforcement = "hard" };

    // The governed virtual key's rate limits: a hundred million requests and a hundred billion tokens a minute.
    private static readonly object[] GovernedRateLimits =
    [
        new { type = "requests", unit = "rpm", value = 100_000_000L },
        new { type = "tokens", unit = "rpm", value = 100_000_000_000L },
    ];

    private readonly string _dataDirectory;
    private readonly string _adminKey = "bench-admin-" + RandomHex(16);

    private TestBed(string dataDirectory) => _dataDirectory = dataDirectory;

    public ChildProcess Mock { get; private set; } = null!;

    public ChildProcess Gateway { get; private set; } = null!;

    /// <summary>For example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri MockBase { get; private set; } = null!;

    public Uri GatewayBase { get; private set; } = null!;

    /// <summary>The "OpenAI key" the direct side sends and the virtual keys hold; the mock accepts any.</summary>
    public string ProviderKey { get; } = "sk-bench-" + RandomHex(12);

    public string GatewayApiKey { get; private set; } = "";

    public string VirtualKeySlug { get; private set; } = "";

    /// <summary>A virtual key whose custom header makes the mock pace its stream (the gateway does not forward the client's).</summary>
    public string PacedVirtualKeySlug { get; private set; } = "";

    /// <summary>A virtual key with provider <c>anthropic</c>, for the translation row.</summary>
    public string AnthropicVirtualKeySlug { get; private set; } = "";

    /// <summary>An API key with a cost budget, for the governance rows; its id is <see cref="GovernedApiKeyId"/>.</summary>
    public string GovernedApiKey { get; private set; } = "";

    public string GovernedApiKeyId { get; private set; } = "";

    /// <summary>A virtual key like <see cref="VirtualKeySlug"/>, with a cost budget and request and token rate limits.</summary>
    public string GovernedVirtualKeySlug { get; private set; } = "";

    public long? GatewayIdleRss { get; private set; }

    public long? MockIdleRss { get; private set; }

    public static async Task<TestBed> StartAsync(
        BuildArtifacts artifacts, BenchOptions options, CancellationToken cancellationToken)
    {
        var bed = new TestBed(Directory.CreateTempSubdirectory("portcullis-bench-").FullName);
        try
        {
            await bed.StartProcessesAsync(artifacts, options, cancellationToken);
            return bed;
        }
        catch
        {
            bed.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the cost budgets of the governed virtual key and API key have counted so far, in dollars (null when it
    /// cannot be read): proof that the governed requests went through the budgets.
    /// </summary>
    public async Task<(decimal? VirtualKey, decimal? ApiKey)> GovernedSpendAsync(CancellationToken cancellationToken)
    {
        using HttpClient admin = BenchTarget.CreateClient(connections: 2);
        var api = new AdminApi(admin, GatewayBase, _adminKey);
        return (await api.CostSpentAsync("v1/virtual-keys/" + GovernedVirtualKeySlug, cancellationToken),
            await api.CostSpentAsync("v1/api-keys/" + GovernedApiKeyId, cancellationToken));
    }

    public void Dispose()
    {
        Gateway?.Dispose();
        Mock?.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Progress.Say($"could not delete {_dataDirectory}: {e.Message}");
        }
    }

    private async Task StartProcessesAsync(BuildArtifacts artifacts, BenchOptions options, CancellationToken cancellationToken)
    {
        string dotnet = BuildArtifacts.DotnetHost();

        // 1. The mock picks its own free port and says which.
        Progress.Say("starting the mock upstream (--bench)");
        Mock = ChildProcess.Start("mock upstream", dotnet, [artifacts.MockUpstreamDll, "--port", "0", "--bench"],
            _dataDirectory, new Dictionary<string, string>(), DroppedVariables, ListeningPrefix);
        string line = await Mock.WaitForReadyLineAsync(StartTimeout, cancellationToken);
        MockBase = new Uri(line[ListeningPrefix.Length..].Trim().TrimEnd('/') + "/");
        Progress.Say($"  mock: pid {Mock.Id}, {MockBase}");
        if (!IPAddress.TryParse(MockBase.Host, out IPAddress? mockAddress) || !IPAddress.IsLoopback(mockAddress))
        {
            throw new BenchSetupException($"The mock listens on {MockBase}, not on loopback.");
        }

        // 2. The gateway, on a port free a moment ago (it prints no address at Warning level, so it cannot pick one).
        GatewayBase = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{FreeLoopbackPort()}/"));
        var environment = new Dictionary<string, string>
        {
            ["PORTCULLIS_MASTER_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["PORTCULLIS_ADMIN_KEY"] = _adminKey,
            ["Portcullis__ProviderBaseUrls__openai"] = new Uri(MockBase, "v1").ToString(),
            ["Portcullis__ProviderBaseUrls__anthropic"] = new Uri(MockBase, "v1").ToString(),
            ["Logging__LogLevel__Default"] = "Warning",
            ["Portcullis__UsageDurability"] = options.UsageDurability,
        };
        Progress.Say($"starting Portcullis ({artifacts.Configuration}) on {GatewayBase}, upstream {MockBase}v1");
        Gateway = ChildProcess.Start("Portcullis", dotnet,
            [artifacts.PortcullisDll, "serve", "--urls", GatewayBase.ToString().TrimEnd('/'), "--data-dir", _dataDirectory],
            _dataDirectory, environment, DroppedVariables);
        Progress.Say($"  Portcullis: pid {Gateway.Id}, data directory {_dataDirectory}");

        // 3. Ready when /v1/health answers; idle memory is read a second later, before any traffic but that.
        using HttpClient admin = BenchTarget.CreateClient(connections: 2);
        await WaitForHealthAsync(admin, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        GatewayIdleRss = Gateway.MemoryBytes("VmRSS");
        MockIdleRss = Mock.MemoryBytes("VmRSS");

        // 4. Keys: one gateway API key, a plain virtual key, and one that paces the mock's streams.
        var api = new AdminApi(admin, GatewayBase, _adminKey);
        (GatewayApiKey, _) = await api.CreateGatewayKeyAsync("bench", usageLimits: null, cancellationToken);
        VirtualKeySlug = await api.CreateVirtualKeyAsync("bench-openai", ProviderKey, null, cancellationToken);
        PacedVirtualKeySlug = await api.CreateVirtualKeyAsync("bench-openai-paced", ProviderKey,
            new Dictionary<string, string> { [BenchTarget.PaceHeader] = BenchTarget.PaceMilliseconds }, cancellationToken);
        AnthropicVirtualKeySlug = await api.CreateVirtualKeyAsync(
            "bench-anthropic", ProviderKey, null, cancellationToken, provider: "anthropic");

        // 5. The governed pair, and a price for the bench's model (a cost budget refuses a model without one).
        await api.SetPriceAsync(BenchTarget.Model, input: 0.15m, output: 0.60m, cancellationToken);
        (GovernedApiKey, GovernedApiKeyId) = await api.CreateGatewayKeyAsync("bench-governed", GovernedBudget, cancellationToken);
        GovernedVirtualKeySlug = await api.CreateVirtualKeyAsync("bench-openai-governed", ProviderKey, null, cancellationToken,
            usageLimits: GovernedBudget, rateLimits: GovernedRateLimits);
    }

    private async Task WaitForHealthAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var health = new Uri(GatewayBase, "v1/health");
        long deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (Gateway.HasExited)
            {
                throw new BenchSetupException("Portcullis exited during start-up. Its last lines:"
                    + Environment.NewLine + string.Join(Environment.NewLine, Gateway.RecentLines));
            }

            try
            {
                using HttpResponseMessage response = await client.GetAsync(health, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchSetupException(
                    $"Portcullis did not answer GET /v1/health within {StartTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
