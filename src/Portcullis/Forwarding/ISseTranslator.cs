using System.Buffers;

namespace Portcullis.Forwarding;

/// <summary>Turns the events of one upstream stream into the events the client's format wants.</summary>
internal interface ISseTranslator
{
    /// <summary>
    /// Takes one complete event: its name (null when the stream names none) and its data lines joined with LF.
    /// Returns true when the event ends the stream (Anthropic's <c>message_stop</c>, OpenAI's <c>[DONE]</c>).
    /// </summary>
    bool OnEvent(string? eventName, ReadOnlySpan<byte> data, IBufferWriter<byte> output);

    /// <summary>Writes what closes the client's stream once the upstream's has ended normally.</summary>
    void Complete(IBufferWriter<byte> output);
}
