namespace Portcullis.Forwarding;

/// <summary>
/// What the gateway needs to know about a JSON request body, found in one pass without building a document: the
/// model and where its token sits, whether it streams, and where <c>stream_options</c> sits.
/// </summary>
internal readonly record struct RequestBodyFacts(
    string? Model,
    int ModelStart,
    int ModelEnd,
    bool Stream,
    bool IncludeUsage,
    int StreamOptionsStart,
    int StreamOptionsEnd,
    int ObjectStart);
