using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Portcullis.MockUpstream.Benchmark;
using Portcullis.MockUpstream.OpenAI;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream;

/// <summary>
/// A real Kestrel server on 127.0.0.1 that imitates the OpenAI API. By default it answers
/// <c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/embeddings</c> and <c>/v1/models</c> as OpenAI
/// would, with deterministic content and usage; queued <see cref="MockScript"/>s override that one request at a
/// time. Every request is recorded, with whether the client dropped the connection.
/// </summary>
public sealed class MockUpstreamServer : IAsyncDisposable
{
    // Long enough for in-flight answers to notice the stop; hung requests are aborted at once anyway.
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly RequestJournal _journal;
    private readonly ConcurrentQueue<MockScript> _scripts;
    private readonly UsageLedger _ledger;
    private readonly AcceptedKeySet _acceptedKeys;
    private int _disposed;

    private MockUpstreamServer(
        WebApplication app,
        CancellationTokenSource stopping,
        RequestJournal journal,
        ConcurrentQueue<MockScript> scripts,
        UsageLedger ledger,
        AcceptedKeySet acceptedKeys)
    {
        _app = app;
        _stopping = stopping;
        _journal = journal;
        _scripts = scripts;
        _ledger = ledger;
        _acceptedKeys = acceptedKeys;
        BaseUrl = new Uri("http://127.0.0.1/v1");
    }

    /// <summary>The OpenAI base URL for a gateway, e.g. <c>http://127.0.0.1:41234/v1</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; private set; }

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>A snapshot of every request recorded so far, in the order their bodies finished arriving.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _journal.Snapshot();

    /// <summary>
    /// API keys the default behaviour accepts (thread-safe; ordinal comparison). Empty, the default: any non-empty
    /// key is accepted. Scripted answers ignore keys.
    /// </summary>
    public ISet<string> AcceptedKeys => _acceptedKeys;

    /// <summary>
    /// Azure deployments that exist; requests to <c>/openai/deployments/{other}/...</c> get Azure's 404
    /// <c>DeploymentNotFound</c>. Empty (the default) = every deployment exists.
    /// </summary>
    public ISet<string> AzureDeployments { get; private init; } = new HashSet<string>();

    /// <summary>
    /// Sum of the prompt tokens the mock reported: every default answer (streamed ones too, with or without a usage
    /// chunk, since the tokens were produced) and every script built with <see cref="MockScript.WithUsage"/>.
    /// </summary>
    public long TotalPromptTokens => _ledger.PromptTokens;

    /// <summary>Sum of the completion tokens the mock reported; see <see cref="TotalPromptTokens"/>.</summary>
    public long TotalCompletionTokens => _ledger.CompletionTokens;

    /// <summary>
    /// Starts a server bound to 127.0.0.1 on <see cref="MockUpstreamOptions.Port"/> (default: a free port) and returns
    /// once it accepts connections.
    /// </summary>
    public static async Task<MockUpstreamServer> StartAsync(
        MockUpstreamOptions? options = null,
        CancellationToken ct = default)
    {
        options ??= new MockUpstreamOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, IPEndPoint.MaxPort);

        // 1. A bare Kestrel host: no configuration files, no environment overrides, warnings only.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(MockUpstreamServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            kestrel.AddServerHeader = false;
            kestrel.AllowSynchronousIO = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
        });
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        WebApplication app = builder.Build();

        // 2. The shared state and the single terminal middleware.
        TimeProvider time = TimeProvider.System;
        var stopping = new CancellationTokenSource();
        var journal = new RequestJournal();
        var scripts = new ConcurrentQueue<MockScript>();
        var ledger = new UsageLedger();
        var keys = new AcceptedKeySet();
        BenchmarkReplies? bench = options.BenchmarkMode ? BenchmarkReplies.Build(time) : null;
        var azureDeployments = new AcceptedKeySet();
        var emulator = new OpenAIEmulator(
            new ApiKeyCheck(keys, options.RequiredHeaderName), ledger, time, bench, azureDeployments, options.RequiredHeaderName);
        var pipeline = new MockRequestPipeline(
            journal, scripts, ledger, emulator, time, options.BenchmarkMode, stopping.Token);
        app.Run(pipeline.InvokeAsync);

        // 3. Start, then read back the port the OS chose.
        var server = new MockUpstreamServer(app, stopping, journal, scripts, ledger, keys) { AzureDeployments = azureDeployments };
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        server.Port = ReadBoundPort(app);
        server.BaseUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{server.Port}/v1"));
        return server;
    }

    /// <summary>Forgets the recorded requests; <see cref="WaitForRequestAsync"/> counts from zero again.</summary>
    public void ClearRequests() => _journal.Clear();

    /// <summary>
    /// Waits until at least <paramref name="count"/> requests are recorded and returns the
    /// <paramref name="count"/>-th (1-based). Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public Task<RecordedRequest> WaitForRequestAsync(int count, TimeSpan timeout) =>
        _journal.WaitForAsync(count, timeout);

    /// <summary>
    /// Queues a script: queued scripts answer the next requests in FIFO order, then the default behaviour resumes.
    /// </summary>
    public void Enqueue(MockScript script)
    {
        ArgumentNullException.ThrowIfNull(script);
        _scripts.Enqueue(script);
    }

    /// <summary>Stops the server: hung and streaming answers are aborted at once, then Kestrel shuts down.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }

    private static int ReadBoundPort(WebApplication app)
    {
        IServerAddressesFeature? addresses = app.Services.GetRequiredService<IServer>().Features
            .Get<IServerAddressesFeature>();
        string? address = addresses?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        return new Uri(address).Port;
    }
}
