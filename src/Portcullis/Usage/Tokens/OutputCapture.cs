using System.Buffers;
using System.Buffers.Binary;

namespace Portcullis.Usage.Tokens;

/// <summary>
/// Keeps what an answer carried on its way to the client, so its completion tokens can be counted when the upstream
/// sends no usage (a cut stream, a client that left, an upstream that never reports). While relaying it only copies
/// each event's data into a pooled buffer, up to <see cref="DefaultLimitBytes"/>; the text is read out and tokenized
/// only when <see cref="EstimateCompletionTokens(string?)"/> is called. One instance serves one answer on one thread
/// at a time; <see cref="Dispose"/> returns the buffer to the pool (forgetting it only leaves the buffer to the GC).
/// </summary>
internal sealed class OutputCapture : IDisposable
{
    /// <summary>4 MiB: about 20,000 stream chunks, or tens of thousands of tokens of a whole answer.</summary>
    public const int DefaultLimitBytes = 4 * 1024 * 1024;

    private readonly int _limitBytes;
    private byte[] _buffer = [];
    private int _length;

    // Checkpoints: what was counted so far, up to which byte, and when the next count is due.
    private int _countedLength;
    private long _countedTokens;
    private long _nextCheckpoint;
    private long _keptBytes;
    private long _droppedBytes;

    /// <param name="limitBytes">The most event data kept; what comes after is counted by size only.</param>
    public OutputCapture(int limitBytes = DefaultLimitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitBytes);
        _limitBytes = limitBytes;
    }

    /// <summary>The event data kept, in bytes.</summary>
    public long KeptBytes => _keptBytes;

    /// <summary>The event data that came after the limit was reached, in bytes, counted but not kept.</summary>
    public long DroppedBytes => _droppedBytes;

    /// <summary>
    /// Keeps one event's data: a stream event's <c>data:</c> lines joined with LF (OpenAI or Anthropic format), or a
    /// whole JSON answer. Once the limit is reached nothing more is kept, so the kept part is the answer's start.
    /// </summary>
    public void AppendEvent(ReadOnlySpan<byte> data)
    {
        if (_droppedBytes > 0 || (long)_length + sizeof(int) + data.Length > _limitBytes)
        {
            _droppedBytes += data.Length;
            return;
        }

        EnsureRoom(sizeof(int) + data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), data.Length);
        data.CopyTo(_buffer.AsSpan(_length + sizeof(int)));
        _length += sizeof(int) + data.Length;
        _keptBytes += data.Length;

        if (Checkpoint is { } checkpoint && Environment.TickCount64 >= _nextCheckpoint)
        {
            _nextCheckpoint = Environment.TickCount64 + (long)CheckpointInterval.TotalMilliseconds;
            checkpoint(CountSoFar(CheckpointModel));
        }
    }

    /// <summary>
    /// Called on the relaying thread at most once per <see cref="CheckpointInterval"/> while events arrive, with the
    /// completion tokens streamed so far, so a long stream's progress can be kept where a crash cannot lose it.
    /// </summary>
    public Action<int>? Checkpoint { get; set; }

    public string? CheckpointModel { get; set; }

    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    // Counts only the events added since the last checkpoint (a token split across two events may count twice: an
    // estimate that errs high, as a settlement after a crash should).
    private int CountSoFar(string? model)
    {
        var text = new OutputText();
        ReadOnlySpan<byte> fresh = _buffer.AsSpan(_countedLength, _length - _countedLength);
        while (fresh.Length >= sizeof(int))
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(fresh);
            text.Add(fresh.Slice(sizeof(int), length));
            fresh = fresh[(sizeof(int) + length)..];
        }

        _countedLength = _length;
        _countedTokens += text.CountTokens(TokenCounter.EncodingFor(model));
        return (int)Math.Min(_countedTokens, int.MaxValue);
    }

    /// <summary>
    /// The completion tokens of what was kept, counted with <paramref name="model"/>'s encoding: the text of chat and
    /// completions chunks, Anthropic deltas, and whole answers (content, refusals, reasoning, tool names and
    /// arguments). When the limit cut the capture short, the count is scaled up by the share of data dropped.
    /// </summary>
    /// <remarks>NOTE: hidden reasoning tokens never pass through, so a reasoning model's estimate is too low.</remarks>
    public int EstimateCompletionTokens(string? model)
    {
        var text = new OutputText();
        ReadOnlySpan<byte> kept = _buffer.AsSpan(0, _length);
        while (kept.Length >= sizeof(int))
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(kept);
            text.Add(kept.Slice(sizeof(int), length));
            kept = kept[(sizeof(int) + length)..];
        }

        long tokens = text.CountTokens(TokenCounter.EncodingFor(model));
        if (_droppedBytes > 0 && _keptBytes > 0)
        {
            tokens = (long)Math.Ceiling(tokens * ((double)(_keptBytes + _droppedBytes) / _keptBytes));
        }

        return (int)Math.Min(tokens, int.MaxValue);
    }

    /// <summary>The completion tokens of one whole answer already in memory (the non-streamed case): no copy.</summary>
    public static int EstimateCompletionTokens(string? model, ReadOnlySpan<byte> answer)
    {
        var text = new OutputText();
        text.Add(answer);
        return text.CountTokens(TokenCounter.EncodingFor(model));
    }

    /// <summary>Returns the buffer to the pool; the capture is empty afterwards.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = [];
        _length = 0;
    }

    private void EnsureRoom(int more)
    {
        int needed = _length + more;
        if (needed <= _buffer.Length)
        {
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _buffer.Length * 2)));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}
