using System.Net;
using System.Net.Sockets;

namespace Portcullis.Forwarding;

/// <summary>
/// Which addresses an upstream connection may reach. Link-local addresses (cloud metadata services live there) and the
/// known metadata addresses are refused unless the operator allow-lists the host; loopback and private addresses are
/// allowed, because self-hosted models live there. Checked when the connection is made, after DNS.
/// </summary>
internal sealed class AddressPolicy(IEnumerable<string> allowedHosts)
{
    private readonly HashSet<string> _allowed = new(allowedHosts, StringComparer.OrdinalIgnoreCase);

    public bool IsAllowedHost(string host) => _allowed.Contains(host);

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
            return !(linkLocal || alibabaMetadata || unspecified);
        }

        if (address.IsIPv6LinkLocal || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        // fd00:ec2::254 is the IPv6 metadata address of one large cloud.
        return !address.Equals(IPAddress.Parse("fd00:ec2::254"));
    }
}
