using Portcullis.VirtualKeys;

namespace Portcullis.Forwarding;

/// <summary>
/// Where a request goes: a virtual key, or pass-through with the caller's own provider key. A decision value;
/// <see cref="Error"/> is set when the request names no usable target.
/// </summary>
internal readonly record struct Target(
    string Provider, Uri? BaseUrl, ResolvedVirtualKey? VirtualKey, string? PassthroughKey, string? BareModel, GatewayError? Error)
{
    public static Target Refused(GatewayError error) => new("", null, null, null, null, error);
}
