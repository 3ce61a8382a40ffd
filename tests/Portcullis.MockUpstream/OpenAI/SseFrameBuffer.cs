using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// A server-sent event stream built up front, frame by frame, then written with a flush after each frame. Once
/// built it is only read, so one instance may be written to many responses at once (the benchmark's fixed streams).
/// </summary>
internal sealed class SseFrameBuffer
{
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);
    private readonly List<int> _frameEnds = [];
    private readonly Utf8JsonWriter _json;

    public SseFrameBuffer() => _json = new Utf8JsonWriter(_bytes, JsonShapes.WriterOptions);

    public int FrameCount => _frameEnds.Count;

    /// <summary>Starts a <c>data:</c> frame; write one JSON value to the returned writer, then call EndFrame.</summary>
    public Utf8JsonWriter BeginFrame()
    {
        _bytes.Write("data: "u8);
        _json.Reset(_bytes);
        return _json;
    }

    public void EndFrame()
    {
        _json.Flush();
        _bytes.Write("\n\n"u8);
        _frameEnds.Add(_bytes.WrittenCount);
    }

    public void AddDone()
    {
        _bytes.Write("data: [DONE]\n\n"u8);
        _frameEnds.Add(_bytes.WrittenCount);
    }

    /// <summary>
    /// Writes every frame, flushing each. With a <paramref name="gap"/>, frame i is due <c>i × gap</c> after the
    /// first: waits are measured from that schedule rather than chained, so timer overshoot (often several
    /// milliseconds) does not pile up and the mean gap stays at <paramref name="gap"/>.
    /// </summary>
    public async Task WriteToAsync(PipeWriter pipe, TimeSpan gap, CancellationToken ct)
    {
        ReadOnlyMemory<byte> all = _bytes.WrittenMemory;
        long firstSent = 0;
        int start = 0;
        for (int i = 0; i < _frameEnds.Count; i++)
        {
            // 1. Keep to the schedule.
            if (i == 0)
            {
                firstSent = Stopwatch.GetTimestamp();
            }
            else if (gap > TimeSpan.Zero)
            {
                TimeSpan wait = (gap * i) - Stopwatch.GetElapsedTime(firstSent);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
            }

            // 2. One frame, flushed.
            int end = _frameEnds[i];
            FlushResult result = await pipe.WriteAsync(all[start..end], ct).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }

            start = end;
        }
    }
}
