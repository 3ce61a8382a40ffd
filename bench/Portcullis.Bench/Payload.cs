namespace Portcullis.Bench;

/// <summary>What a request asks the mock for; each side of the comparison sends the same bytes.</summary>
internal enum Payload
{
    /// <summary>A non-streaming chat completion: the mock answers a fixed ~1 KB JSON body.</summary>
    Chat,

    /// <summary><c>"stream": true</c>: the mock answers a fixed 33-frame SSE stream (plus <c>[DONE]</c>) at once.</summary>
    Stream,

    /// <summary>A stream with <c>x-mock-pace-ms: 5</c>: 16 frames (plus <c>[DONE]</c>) 5 ms apart.</summary>
    PacedStream,

    /// <summary>
    /// A streamed answer from the mock's Anthropic Messages API: direct, the client asks for it in Anthropic's format;
    /// through Portcullis, it asks in OpenAI's format and the gateway translates both ways.
    /// </summary>
    AnthropicStream,
}
