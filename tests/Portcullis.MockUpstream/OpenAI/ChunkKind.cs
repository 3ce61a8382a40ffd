namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The three kinds of per-choice chunk in a streamed answer.</summary>
internal enum ChunkKind
{
    /// <summary>The first chunk: role, empty content.</summary>
    Role,

    /// <summary>A piece of the content.</summary>
    Content,

    /// <summary>Empty delta with the finish reason.</summary>
    Finish,
}
