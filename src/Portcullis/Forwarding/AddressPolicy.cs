using System.Net;
using System.Net.Sockets;

namespace Portcullis.Forwarding;

/// <summary>
/// Which addresses an upstream connection may reach. Link-local addresses (cloud metadata services live there) and the
/// known metadata addresses are refused unless the operator allow-lists the host; loopback and private addresses are
/// allowed, because self-hosted models live there. Checked when the connection is made, after DNS.
/// </summary>
internal sealed class AddressPolicy(
    IEnumerable<string> allowedHosts, bool strict = false, IEnumerable<Uri>? configuredProviderUrls = null)
{
    private readonly HashSet<string> _allowed = new(allowedHosts, StringComparer.OrdinalIgnoreCase);

    // Hosts of the operator's own provider base URLs: reachable at connection time, but not names a client may pick.
    private readonly HashSet<string> _configured = new(
        (configuredProviderUrls ?? []).Select(u => $"{u.Host}:{u.Port}"), StringComparer.OrdinalIgnoreCase);


    public bool IsAllowedHost(string host) => _allowed.Contains(host);

    /// <summary>Whether a connection to <paramref name="host"/>:<paramref name="port"/> at this address may be made.</summary>
    public bool IsAllowed(string host, int port, IPAddress address) =>
        _configured.Contains($"{host}:{port}") || IsAllowed(host, address);

    public bool IsAllowed(string host, IPAddress address)
    {
        if (_allowed.Contains(host))
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            byte[] b = address.GetAddressBytes();
            bool linkLocal = b[0] == 169 && b[1] == 254;
            bool alibabaMetadata = b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200;
            bool unspecified = b[0] == 0;
            bool internalRange = b[0] is 127 or 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) ||
                (b[0] == 192 && b[1] == 168) || (b[0] == 100 && b[1] is >= 64 and <= 127);
            return !(linkLocal || alibabaMetadata || unspecified || (strict && internalRange));
        }

        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return !strict;
        }

        if (address.IsIPv6LinkLocal || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        // IPv4 addresses carried inside IPv6: IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
        byte[] v6 = address.GetAddressBytes();
        bool compatible = v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
        bool nat64 = v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0;
        if (compatible || nat64)
        {
            return IsAllowed(host, new IPAddress(v6.AsSpan(12, 4)));
        }

        if (v6[0] == 0x20 && v6[1] == 0x02)
        {
            return IsAllowed(host, new IPAddress(v6.AsSpan(2, 4)));
        }

        // fc00::/7 is the IPv6 private (unique local) range.
        if (strict && (v6[0] & 0xFE) == 0xFC)
        {
            return false;
        }

        // fd00:ec2::254 is the IPv6 metadata address of one large cloud.
        return !address.Equals(IPAddress.Parse("fd00:ec2::254"));
    }
}
