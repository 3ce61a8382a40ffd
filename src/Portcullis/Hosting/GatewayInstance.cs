using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Portcullis.Hosting;

/// <summary>A built gateway, ready to start. Holds the admin key generated on first start, if one was.</summary>
public sealed class GatewayInstance(WebApplication app, GatewayOptions options, string? generatedAdminKey) : IAsyncDisposable
{
    public WebApplication App => app;

    public GatewayOptions Options => options;

    /// <summary>The admin key created on this first start; null when one existed or PORTCULLIS_ADMIN_KEY set it.</summary>
    public string? GeneratedAdminKey => generatedAdminKey;

    /// <summary>The addresses Kestrel actually bound (useful with port 0).</summary>
    public IReadOnlyList<string> Addresses =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
