using System.Net;

namespace Portcullis.Forwarding;

/// <summary>
/// A request body sent as a few slices of the client's buffer and small inserted pieces, so a rewritten model or an
/// added <c>stream_options</c> costs no copy of the whole body.
/// </summary>
internal sealed class SegmentedContent(IReadOnlyList<ReadOnlyMemory<byte>> segments) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (ReadOnlyMemory<byte> segment in segments)
        {
            await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        foreach (ReadOnlyMemory<byte> segment in segments)
        {
            length += segment.Length;
        }

        return true;
    }
}
