namespace Portcullis.Bench;

/// <summary>
/// Counts server-sent event frames (each ends with a blank line) across reads, and remembers whether the stream ended
/// with <c>data: [DONE]</c>, without keeping the body.
/// </summary>
internal sealed class SseScan
{
    private static readonly byte[] DoneFrame = "data: [DONE]\n\n"u8.ToArray();

    private readonly byte[] _tail = new byte[64];
    private int _tailLength;
    private bool _lastWasNewline;

    public bool EndedWithDone => EndedWith(DoneFrame);

    /// <summary>Whether the body read so far ends with <paramref name="frame"/> (at most 64 bytes).</summary>
    public bool EndedWith(ReadOnlySpan<byte> frame) => _tail.AsSpan(0, _tailLength).EndsWith(frame);

    /// <summary>Takes the next bytes of the body; returns how many frames they completed.</summary>
    public int Add(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return 0;
        }

        // 1. Frames: a newline right after a newline closes one (this stream has no "\r\n" endings).
        int frames = 0;
        bool previousNewline = _lastWasNewline;
        int offset = 0;
        while (true)
        {
            int newline = chunk[offset..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            int at = offset + newline;
            bool afterNewline = at == 0 ? previousNewline : chunk[at - 1] == '\n';
            if (afterNewline)
            {
                frames++;
            }

            offset = at + 1;
            if (offset == chunk.Length)
            {
                break;
            }
        }

        _lastWasNewline = chunk[^1] == '\n';

        // 2. The last bytes seen, to tell at the end whether [DONE] closed the stream.
        if (chunk.Length >= _tail.Length)
        {
            chunk[^_tail.Length..].CopyTo(_tail);
            _tailLength = _tail.Length;
        }
        else
        {
            int keep = Math.Min(_tailLength, _tail.Length - chunk.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            chunk.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + chunk.Length;
        }

        return frames;
    }
}
