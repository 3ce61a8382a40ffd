using System.Buffers;

namespace Portcullis.Forwarding;

/// <summary>A request body read once into a pooled buffer; returned to the pool when the request ends.</summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public static RequestBody Empty { get; } = new([], 0);

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>
    /// Reads the whole body, or reports that it is larger than <paramref name="limit"/> (declared or counted, chunked
    /// bodies included). An oversized body is drained, up to a bound, so the client can read the 413.
    /// </summary>
    public static async ValueTask<RequestBody?> ReadAsync(
        Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        if (declaredLength > limit)
        {
            await DrainAsync(body, limit, cancellationToken);
            return null;
        }

        int capacity = (int)Math.Min(declaredLength ?? 16 * 1024, limit) + 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 4096));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        break;
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    break;
                }
            }

            if (length > limit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
                await DrainAsync(body, limit, cancellationToken);
                return null;
            }

            var result = new RequestBody(buffer, length);
            buffer = [];
            return result;
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // Reads and discards the rest of an oversized body (at most four times the limit) so the client is not reset.
    private static async Task DrainAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long budget = Math.Max(limit, 1) * 4;
            int read;
            while (budget > 0 && (read = await body.ReadAsync(scratch, cancellationToken)) > 0)
            {
                budget -= read;
            }
        }
        catch (Exception e) when (e is IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The client went away or broke framing; the 413 is all it gets.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Dispose()
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
