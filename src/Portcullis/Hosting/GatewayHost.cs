using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Admin;
using Portcullis.ApiKeys;
using Portcullis.Audit;
using Portcullis.Budgets;
using Portcullis.Diagnostics;
using Portcullis.Forwarding;
using Portcullis.Governance;
using Portcullis.Limits;
using Portcullis.Pricing;
using Portcullis.Providers;
using Portcullis.Storage;
using Portcullis.Storage.Sqlite;
using Portcullis.Usage;
using Portcullis.Vault;
using Portcullis.VirtualKeys;
using Portcullis.Workspaces;

namespace Portcullis.Hosting;

/// <summary>
/// Builds a ready gateway: storage opened, vault proven against the database, first admin key in place, endpoints
/// mapped. <c>portcullis serve</c> and the integration tests both start the gateway through here.
/// </summary>
public static class GatewayHost
{
    public static async Task<GatewayInstance> BuildAsync(
        GatewayOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new GatewayConfigurationException(errors);
        }

        CreatePrivateDirectory(options.DataDirectory);
        DataDirectoryLock owned = DataDirectoryLock.Acquire(options.DataDirectory);
        try
        {
            return await BuildOwnedAsync(options, owned, time ?? TimeProvider.System, logging, cancellationToken);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    private static async Task<GatewayInstance> BuildOwnedAsync(
        GatewayOptions options, DataDirectoryLock owned, TimeProvider time, Action<ILoggingBuilder>? logging,
        CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Portcullis enforces its own body limit on every route (and answers 413 as JSON), so Kestrel's is off.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);

        // 1. Storage and vault: the process does not start unless the master key opens this database.
        var store = new SqliteGatewayStore(options.DatabasePath, options.StoreBusyTimeout);
        await store.InitializeAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            // SQLite gives the -wal and -shm files the database file's mode, so all three stay owner-only.
            File.SetUnixFileMode(options.DatabasePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        IMasterKeySource keySource = options.MasterKey is { Length: > 0 } configured
            ? new EnvironmentMasterKeySource(configured)
            : new FileMasterKeySource(options.MasterKeyFilePath);
        using ILoggerFactory startupLogs = LoggerFactory.Create(l =>
        {
            l.AddSimpleConsole(o => o.SingleLine = true);
            logging?.Invoke(l);
        });
        VaultService vault = await VaultService.OpenAsync(
            keySource, store, time, startupLogs.CreateLogger("Portcullis.Vault"), cancellationToken);

        // 2. The pepper of the API-key hash lives sealed in the vault, so it follows master-key rotation.
        var hasher = new ApiKeyHasher(await LoadPepperAsync(store, vault, time, cancellationToken));
        var apiKeys = new ApiKeyService(store, hasher, time);
        var workspaces = new WorkspaceService(store, time);
        await workspaces.EnsureDefaultAsync(cancellationToken);
        string? generatedAdminKey = await EnsureAdminKeyAsync(store, apiKeys, options, cancellationToken);
        await apiKeys.LoadAsync(cancellationToken);

        // 3. Services shared by the data plane, the admin API and (through the admin API) the CLI.
        var providers = new ProviderCatalog(options);
        // Hosts the operator configured are trusted; strict mode only constrains hosts named on virtual keys.
        var addresses = new AddressPolicy(
            options.AllowedCustomHosts, options.StrictCustomHosts, options.ProviderBaseUrls.Values.Select(u => new Uri(u)));
        PricingCatalog pricing = await PricingCatalog.LoadAsync(store, time, cancellationToken);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => owned);
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<IGatewayStore>(store);
        builder.Services.AddSingleton(vault);
        builder.Services.AddSingleton(apiKeys);
        builder.Services.AddSingleton(providers);
        builder.Services.AddSingleton(pricing);
        builder.Services.AddSingleton(addresses);
        builder.Services.AddSingleton(_ => UpstreamClientFactory.Create(options, addresses));
        builder.Services.AddSingleton<VirtualKeyService>();
        builder.Services.AddSingleton(workspaces);
        builder.Services.AddSingleton<WorkspaceAccess>();
        builder.Services.AddSingleton<TargetResolver>();
        builder.Services.AddSingleton<Catalog.IntegrationService>();
        builder.Services.AddSingleton<Catalog.ProviderService>();
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddSingleton<RequestLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RequestLogWriter>());
        builder.Services.AddSingleton<BudgetAlerts>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BudgetAlerts>());
        builder.Services.AddSingleton<UsageLedger>();
        builder.Services.AddSingleton<IUsageLedger>(sp => sp.GetRequiredService<UsageLedger>());
        builder.Services.AddSingleton<IRateLimitCounters>(_ => new InMemoryRateLimitCounters(time));
        builder.Services.AddSingleton<AdmissionGate>();
        builder.Services.AddSingleton<GatewayHandler>();

        WebApplication app = builder.Build();

        // Resolved once so the container owns the lock and releases it when the gateway is disposed.
        _ = app.Services.GetRequiredService<DataDirectoryLock>();

        // 4. Budgets: what a crash left pending is settled, and every budget's state loaded, before any traffic.
        await app.Services.GetRequiredService<UsageLedger>().LoadAsync(cancellationToken);
        app.Use(GuardAsync);
        MapDataPlane(app);
        AdminEndpoints.Map(app);
        app.MapGet("/v1/health", () => Results.Json(new { status = "success", message = "Server is healthy", version = Version }));
        app.MapFallback(context => GatewayResponses.WriteErrorAsync(
            context, new GatewayError(404, "not_found_error", "not_found", $"Not Found: {context.Request.Method} {context.Request.Path}")));

        return new GatewayInstance(app, options, generatedAdminKey);
    }

    public static string Version { get; } =
        typeof(GatewayHost).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static void MapDataPlane(WebApplication app)
    {
        GatewayHandler handler = app.Services.GetRequiredService<GatewayHandler>();
        app.MapPost("/v1/chat/completions", context => handler.HandleAsync(context, "chat/completions"));
        app.MapPost("/v1/completions", context => handler.HandleAsync(context, "completions"));
        app.MapPost("/v1/embeddings", context => handler.HandleAsync(context, "embeddings"));
        app.MapGet("/v1/models", context => handler.HandleAsync(context, "models"));
        app.MapPost("/v1/messages", context => handler.HandleAsync(context, "messages"));
    }

    // Last line of defence: anything unexpected becomes a JSON 500 without a stack trace; admin bodies are bounded.
    private static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1/chat") && !context.Request.Path.StartsWithSegments("/v1/completions") &&
            !context.Request.Path.StartsWithSegments("/v1/embeddings") && !context.Request.Path.StartsWithSegments("/v1/messages") &&
            context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 1024 * 1024;
        }

        context.Response.Headers[GatewayResponses.TraceIdHeader] = GatewayResponses.TraceIdOf(context.Request);

        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is nobody to answer.
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 5 or 6)
        {
            // SQLITE_BUSY or SQLITE_LOCKED past the busy timeout: the store is held by someone else.
            context.Response.Headers.RetryAfter = "1";
            await GatewayResponses.WriteErrorAsync(context, new GatewayError(
                503, "service_unavailable", "storage_busy", "The gateway's database is busy; try again."));
        }
        catch (BadHttpRequestException e)
        {
            await GatewayResponses.WriteErrorAsync(context, e.StatusCode == 413
                ? new GatewayError(413, "request_too_large", "request_too_large", "The request body is too large.")
                : GatewayError.BadRequest("The request could not be read."));
        }
        catch (Exception e)
        {
            ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Portcullis");
            GatewayLog.UnhandledError(logger, e, context.Response.Headers[GatewayResponses.TraceIdHeader].ToString());
            await GatewayResponses.WriteErrorAsync(
                context, new GatewayError(500, "internal_error", "internal_error", "Portcullis failed to handle the request."));
        }
    }

    private static async Task<byte[]> LoadPepperAsync(
        IGatewayStore store, VaultService vault, TimeProvider time, CancellationToken cancellationToken)
    {
        const string id = "api-key-pepper";
        SealedSecret? sealedPepper = await store.GetSecretAsync(id, cancellationToken);
        if (sealedPepper is null)
        {
            string fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            sealedPepper = vault.Seal(id, SecretPurpose.ApiKeyPepper, "system", fresh);
            await store.InsertSecretAsync(sealedPepper, time.GetUtcNow(), cancellationToken);
        }

        SecretValue pepper = vault.TryUnseal(sealedPepper)
            ?? throw new VaultConfigurationException("The API-key pepper in this database does not open with the master key.");
        return Convert.FromBase64String(pepper.Reveal());
    }

    private static async Task<string?> EnsureAdminKeyAsync(
        IGatewayStore store, ApiKeyService apiKeys, GatewayOptions options, CancellationToken cancellationToken)
    {
        if (options.AdminKey is { Length: > 0 } preset)
        {
            if (preset.Length is < 16 or > 512 || preset.Any(c => c is < '!' or > '~'))
            {
                throw new GatewayConfigurationException(
                    ["PORTCULLIS_ADMIN_KEY must be 16 to 512 visible ASCII characters (no spaces or line breaks)."]);
            }

            byte[] hash = apiKeys.HashOf(preset);
            ApiKeyRecord? existing = await store.FindApiKeyByHashAsync(hash, cancellationToken);
            if (existing is not null && await apiKeys.AuthenticateAsync(preset, cancellationToken) is null)
            {
                throw new GatewayConfigurationException(
                    ["PORTCULLIS_ADMIN_KEY names an API key that is disabled or expired; enable it or choose another key."]);
            }

            // A value once issued and later deleted or rotated away stays revoked: it is never made again.
            string issued = "admin_key_issued:" + Convert.ToHexString(hash);
            if (existing is null)
            {
                if (await store.GetSettingAsync(issued, cancellationToken) is not null)
                {
                    throw new GatewayConfigurationException(
                        ["PORTCULLIS_ADMIN_KEY names an API key that was deleted or rotated away, so it stays revoked; " +
                         "unset it (and use another admin key) or choose a new value."]);
                }

                await apiKeys.CreateAsync("admin", "organisation-service", [Scopes.All], "Set by PORTCULLIS_ADMIN_KEY",
                    Workspaces.WorkspaceService.DefaultId, null, cancellationToken, preset);
            }

            await store.TryInitializeSettingAsync(issued, "issued", cancellationToken);

            await store.TryInitializeSettingAsync("admin_key_initialized", "env", cancellationToken);
            return null;
        }

        if (!await store.TryInitializeSettingAsync("admin_key_initialized", "generated", cancellationToken))
        {
            return null;
        }

        (_, string key) = await apiKeys.CreateAsync("admin", "organisation-service", [Scopes.All],
            "Generated on first start", Workspaces.WorkspaceService.DefaultId, null, cancellationToken);
        return key;
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            // A directory made beforehand is made owner-only too: SQLite creates its -wal and -shm files with the
            // process's default mode, and they hold recent rows.
            try
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (UnauthorizedAccessException)
            {
                // NOTE: a directory owned by someone else keeps its mode; the operator chose it.
            }
        }
    }
}
