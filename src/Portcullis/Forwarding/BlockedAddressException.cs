namespace Portcullis.Forwarding;

/// <summary>An upstream host resolved only to addresses the <see cref="AddressPolicy"/> refuses.</summary>
internal sealed class BlockedAddressException(string host)
    : IOException($"The upstream host '{host}' resolves to an address Portcullis does not connect to.")
{
    public string Host => host;
}
