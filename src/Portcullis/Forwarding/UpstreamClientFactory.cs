using System.Net;
using System.Net.Sockets;
using Portcullis.Hosting;

namespace Portcullis.Forwarding;

/// <summary>
/// The one HTTP client every upstream call shares: pooled connections, no redirects, no proxy from the environment,
/// no decompression, TCP no-delay, and the <see cref="AddressPolicy"/> applied to every address it connects to.
/// </summary>
internal static class UpstreamClientFactory
{
    public static HttpMessageInvoker Create(GatewayOptions options, AddressPolicy policy)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.UpstreamConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
            ConnectCallback = (context, cancellationToken) => ConnectAsync(context, policy, cancellationToken),

            // No trace context of ours goes to a third party.
            ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static async ValueTask<Stream> ConnectAsync(
        SocketsHttpConnectionContext context, AddressPolicy policy, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);

        SocketException? last = null;
        bool anyAllowed = false;
        foreach (IPAddress address in addresses)
        {
            if (!policy.IsAllowed(host, context.DnsEndPoint.Port, address))
            {
                continue;
            }

            anyAllowed = true;
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        if (!anyAllowed)
        {
            throw new BlockedAddressException(host);
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
