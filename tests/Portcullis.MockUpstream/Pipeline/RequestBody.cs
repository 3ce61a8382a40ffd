using System.Buffers;
using Microsoft.AspNetCore.Http.Features;

namespace Portcullis.MockUpstream.Pipeline;

/// <summary>A request body read to the end, or as far as it got before the client went away.</summary>
/// <param name="Bytes">The bytes that arrived.</param>
/// <param name="Complete">False when the client disconnected (or broke the framing) during the upload.</param>
internal readonly record struct RequestBody(byte[] Bytes, bool Complete)
{
    private const int SegmentSize = 1 << 20;

    public static async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        long? length = request.ContentLength;
        if (length == 0 || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        {
            return new RequestBody([], true);
        }

        // 1. Known length: one exact array, no copies (matters for 100+ MB uploads).
        if (length is > 0 and <= int.MaxValue)
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>((int)length.Value);
            (int filled, _) = await FillAsync(request.Body, buffer, ct).ConfigureAwait(false);
            return filled == buffer.Length ? new RequestBody(buffer, true) : new RequestBody(buffer[..filled], false);
        }

        // 2. Chunked or unknown length: pooled segments, then one copy into an exact array.
        var segments = new List<byte[]>();
        long total = 0;
        bool complete;
        while (true)
        {
            byte[] segment = ArrayPool<byte>.Shared.Rent(SegmentSize);
            segments.Add(segment);
            (int filled, bool ended) = await FillAsync(request.Body, segment.AsMemory(0, SegmentSize), ct)
                .ConfigureAwait(false);
            total += filled;
            if (ended)
            {
                complete = true;
                break;
            }

            if (filled < SegmentSize)
            {
                complete = false;
                break;
            }
        }

        return new RequestBody(Concatenate(segments, total), complete);
    }

    /// <summary>
    /// Reads into <paramref name="target"/> until it is full or the body ends. Ended is true when the body ended
    /// normally; a short fill with Ended false means the client went away.
    /// </summary>
    private static async Task<(int Filled, bool Ended)> FillAsync(
        Stream body,
        Memory<byte> target,
        CancellationToken ct)
    {
        int filled = 0;
        try
        {
            while (filled < target.Length)
            {
                int read = await body.ReadAsync(target[filled..], ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return (filled, true);
                }

                filled += read;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return (filled, false);
        }

        return (filled, false);
    }

    private static byte[] Concatenate(List<byte[]> segments, long total)
    {
        byte[] bytes = GC.AllocateUninitializedArray<byte>(checked((int)total));
        int offset = 0;
        foreach (byte[] segment in segments)
        {
            int length = Math.Min(SegmentSize, bytes.Length - offset);
            segment.AsSpan(0, length).CopyTo(bytes.AsSpan(offset));
            offset += length;
            ArrayPool<byte>.Shared.Return(segment);
        }

        return bytes;
    }
}
