using System.Net;
using Portcullis.Forwarding;

namespace Portcullis.Tests.Forwarding;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("100.100.100.200")]
    [InlineData("0.0.0.0")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:a9fe:a9fe::")]
    public void Link_local_and_metadata_addresses_are_refused(string address)
    {
        var policy = new AddressPolicy([]);

        Assert.False(policy.IsAllowed("example.internal", IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.1.20")]
    [InlineData("::1")]
    public void Loopback_and_private_addresses_are_allowed_for_self_hosted_models(string address)
    {
        var policy = new AddressPolicy([]);

        Assert.True(policy.IsAllowed("llm.local", IPAddress.Parse(address)));
    }

    [Fact]
    public void An_allow_listed_host_may_reach_a_link_local_address()
    {
        var policy = new AddressPolicy(["metadata-proxy.corp"]);

        Assert.True(policy.IsAllowed("metadata-proxy.corp", IPAddress.Parse("169.254.10.10")));
        Assert.False(policy.IsAllowed("other.corp", IPAddress.Parse("169.254.10.10")));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.5")]
    [InlineData("192.168.1.20")]
    [InlineData("100.64.0.1")]
    [InlineData("::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("169.254.169.254")]
    public void Strict_mode_refuses_internal_addresses_for_hosts_not_allow_listed(string address)
    {
        var policy = new AddressPolicy(["llm.internal.corp"], strict: true);

        Assert.False(policy.IsAllowed("tenant-host.example", IPAddress.Parse(address)));
        Assert.True(policy.IsAllowed("llm.internal.corp", IPAddress.Parse(address)));
    }

    [Fact]
    public void Strict_mode_still_allows_public_addresses()
    {
        var policy = new AddressPolicy([], strict: true);

        Assert.True(policy.IsAllowed("api.example", IPAddress.Parse("203.0.113.10")));
    }
}
