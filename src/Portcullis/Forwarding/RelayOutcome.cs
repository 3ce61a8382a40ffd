namespace Portcullis.Forwarding;

/// <summary>How copying an upstream answer to the client ended.</summary>
internal enum RelayOutcome
{
    Completed,
    ClientCancelled,
    IdleTimeout,
    UpstreamCut,
    TooLarge,
}
