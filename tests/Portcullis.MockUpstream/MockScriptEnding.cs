namespace Portcullis.MockUpstream;

/// <summary>What a <see cref="MockScript"/> does once its slices are written.</summary>
internal enum MockScriptEnding
{
    /// <summary>Finish the response normally.</summary>
    Complete,

    /// <summary>Stay silent, keeping the connection open, until the client goes away.</summary>
    Hang,

    /// <summary>Abort the TCP connection without finishing the response.</summary>
    Abort,
}
