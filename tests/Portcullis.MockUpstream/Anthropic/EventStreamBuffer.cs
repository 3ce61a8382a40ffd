using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>
/// A server-sent event stream of named events (<c>event: name</c>, <c>data: json</c>, blank line), built up front
/// and then written with a flush after each event.
/// </summary>
internal sealed class EventStreamBuffer
{
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);
    private readonly List<int> _eventEnds = [];
    private readonly Utf8JsonWriter _json;

    public EventStreamBuffer() => _json = new Utf8JsonWriter(_bytes, JsonShapes.WriterOptions);

    /// <summary>Starts an event: write one JSON value to the writer, then call <see cref="EndEvent"/>.</summary>
    public Utf8JsonWriter BeginEvent(ReadOnlySpan<byte> name)
    {
        _bytes.Write("event: "u8);
        _bytes.Write(name);
        _bytes.Write("\ndata: "u8);
        _json.Reset(_bytes);
        return _json;
    }

    public void EndEvent()
    {
        _json.Flush();
        _bytes.Write("\n\n"u8);
        _eventEnds.Add(_bytes.WrittenCount);
    }

    /// <summary>Writes every event with a flush after each, <paramref name="gap"/> apart.</summary>
    public async Task WriteToAsync(PipeWriter pipe, TimeSpan gap, CancellationToken ct)
    {
        ReadOnlyMemory<byte> all = _bytes.WrittenMemory;
        int start = 0;
        for (int i = 0; i < _eventEnds.Count; i++)
        {
            if (i > 0 && gap > TimeSpan.Zero)
            {
                await Task.Delay(gap, ct).ConfigureAwait(false);
            }

            int end = _eventEnds[i];
            FlushResult result = await pipe.WriteAsync(all[start..end], ct).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }

            start = end;
        }
    }
}
