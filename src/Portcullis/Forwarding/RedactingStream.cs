using System.Text;

namespace Portcullis.Forwarding;

/// <summary>
/// Wraps the response body so no write can carry a secret the request sent upstream: each occurrence is replaced by a
/// mask of the same length (so a declared Content-Length stays right). Relays write whole events or whole answers, so
/// a secret is never split between two writes.
/// </summary>
internal sealed class RedactingStream(Stream inner, IReadOnlyList<string> secrets) : Stream
{
    private readonly (byte[] Secret, byte[] Mask)[] _patterns = Patterns(secrets);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        foreach ((byte[] secret, byte[] mask) in _patterns)
        {
            if (buffer.Span.IndexOf(secret) >= 0)
            {
                byte[] copy = buffer.ToArray();
                Span<byte> span = copy;
                int at;
                while ((at = span.IndexOf(secret)) >= 0)
                {
                    mask.CopyTo(span[at..]);
                    span = span[(at + secret.Length)..];
                }

                return WriteRedactedAsync(copy, cancellationToken);
            }
        }

        return inner.WriteAsync(buffer, cancellationToken);
    }

    // A second secret may sit in the same buffer: the copy goes through the check again.
    private ValueTask WriteRedactedAsync(byte[] copy, CancellationToken cancellationToken) =>
        WriteAsync(copy.AsMemory(), cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    // Stored credentials are visible ASCII, so one character is one byte and the mask keeps the length exactly.
    private static (byte[] Secret, byte[] Mask)[] Patterns(IReadOnlyList<string> secrets)
    {
        var patterns = new List<(byte[], byte[])>(secrets.Count);
        foreach (string secret in secrets)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(secret);
            if (secret.Length >= 8 && bytes.Length == secret.Length)
            {
                byte[] mask = (byte[])bytes.Clone();
                mask.AsSpan(0, mask.Length - 4).Fill((byte)'*');
                patterns.Add((bytes, mask));
            }
        }

        return [.. patterns];
    }
}
