namespace Portcullis.Hosting;

/// <summary>Settings that cannot work, all reported at once.</summary>
public sealed class GatewayConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors => errors;
}
