using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portcullis.Usage;

namespace Portcullis.Forwarding;

/// <summary>
/// Copies a server-sent event stream to the client as it arrives, event by event and byte for byte, flushing after
/// every read. On the way it reads usage from the chunks and, when the client did not ask for usage, holds back the
/// usage-only chunk the gateway asked the upstream for.
/// </summary>
internal sealed class SseRelay
{
    private const int MaxEventBytes = 16 * 1024 * 1024;
    private static readonly byte[] DonePayload = "[DONE]"u8.ToArray();
    private static readonly byte[] UsageProperty = "\"usage\""u8.ToArray();

    private readonly bool _forwardUsageOnlyChunks;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _filled;
    private int _eventStart;
    private int _scan;
    private int _emitFrom;
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private bool _hasData;

    public SseRelay(bool forwardUsageOnlyChunks) => _forwardUsageOnlyChunks = forwardUsageOnlyChunks;

    public TokenUsage Usage { get; private set; }

    public bool SawDone { get; private set; }

    /// <summary>Characters of text the client received, for an estimate when the upstream never reports usage.</summary>
    public long BytesForwarded { get; private set; }

    public async Task<RelayOutcome> RelayAsync(
        Stream upstream, HttpResponse response, TimeSpan idleTimeout, CancellationToken clientAborted)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        try
        {
            while (true)
            {
                if (_filled == _buffer.Length && !Grow())
                {
                    return RelayOutcome.TooLarge;
                }

                idle.CancelAfter(idleTimeout);
                int read = await upstream.ReadAsync(_buffer.AsMemory(_filled), idle.Token);
                if (read == 0)
                {
                    // The upstream ended: whatever is left is passed on as it is.
                    _emitFrom = Math.Min(_emitFrom, _filled);
                    await WriteAsync(response, _emitFrom, _filled, clientAborted);
                    return RelayOutcome.Completed;
                }

                _filled += read;
                int writeEnd = ScanEvents(out int skipStart, out int skipEnd);
                if (skipStart >= 0)
                {
                    await WriteAsync(response, _emitFrom, skipStart, clientAborted);
                    _emitFrom = skipEnd;
                }

                await WriteAsync(response, _emitFrom, writeEnd, clientAborted);
                Compact(writeEnd);
            }
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            return RelayOutcome.ClientCancelled;
        }
        catch (OperationCanceledException)
        {
            return RelayOutcome.IdleTimeout;
        }
        catch (IOException) when (clientAborted.IsCancellationRequested)
        {
            return RelayOutcome.ClientCancelled;
        }
        catch (IOException)
        {
            return RelayOutcome.UpstreamCut;
        }
        catch (System.Net.Http.HttpRequestException)
        {
            return RelayOutcome.UpstreamCut;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    // Walks complete lines from _scan; returns the end of the last complete event. At most one usage-only chunk is held
    // back per read (the upstream sends one per stream), reported as [skipStart, skipEnd).
    private int ScanEvents(out int skipStart, out int skipEnd)
    {
        skipStart = -1;
        skipEnd = -1;
        int completeEnd = _eventStart;
        while (_scan < _filled)
        {
            int relative = _buffer.AsSpan(_scan, _filled - _scan).IndexOfAny((byte)'\n', (byte)'\r');
            if (relative < 0)
            {
                break;
            }

            int lineEnd = _scan + relative;
            int next = lineEnd + 1;
            if (_buffer[lineEnd] == '\r')
            {
                if (next == _filled)
                {
                    break; // A lone CR at the end of the buffer may be the first half of CRLF.
                }

                if (_buffer[next] == '\n')
                {
                    next++;
                }
            }

            ReadOnlySpan<byte> line = _buffer.AsSpan(_scan, lineEnd - _scan);
            _scan = next;
            if (line.IsEmpty)
            {
                if (EndEvent() && skipStart < 0)
                {
                    skipStart = _eventStart;
                    skipEnd = next;
                }

                _eventStart = next;
                completeEnd = next;
            }
            else if (line.StartsWith("data:"u8))
            {
                ReadOnlySpan<byte> payload = line[5..];
                if (!payload.IsEmpty && payload[0] == ' ')
                {
                    payload = payload[1..];
                }

                if (_hasData)
                {
                    _data.Write("\n"u8);
                }

                _data.Write(payload);
                _hasData = true;
            }
        }

        return completeEnd;
    }

    // Returns true when the event should be held back from the client.
    private bool EndEvent()
    {
        if (!_hasData)
        {
            return false;
        }

        ReadOnlySpan<byte> data = _data.WrittenSpan;
        bool hold = false;
        if (data.SequenceEqual(DonePayload))
        {
            SawDone = true;
        }
        else if (data.IndexOf(UsageProperty) >= 0 && UsageReader.TryRead(data, out TokenUsage usage, out bool usageOnly))
        {
            if (usage.IsKnown)
            {
                Usage = usage;
            }

            hold = usageOnly && !_forwardUsageOnlyChunks;
        }

        _data.Clear();
        _hasData = false;
        return hold;
    }

    private async ValueTask WriteAsync(HttpResponse response, int start, int end, CancellationToken cancellationToken)
    {
        if (end <= start)
        {
            return;
        }

        BytesForwarded += end - start;
        await response.Body.WriteAsync(_buffer.AsMemory(start, end - start), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private void Compact(int consumed)
    {
        int remaining = _filled - consumed;
        if (remaining > 0 && consumed > 0)
        {
            Buffer.BlockCopy(_buffer, consumed, _buffer, 0, remaining);
        }

        _filled = remaining;
        _scan -= consumed;
        _eventStart -= consumed;
        _emitFrom = 0;
    }

    private bool Grow()
    {
        if (_buffer.Length >= MaxEventBytes)
        {
            return false;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        Buffer.BlockCopy(_buffer, 0, larger, 0, _filled);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
        return true;
    }

    public static byte[] ErrorEvent(GatewayError error) =>
        [.. "data: "u8, .. GatewayResponses.Serialize(error), .. "\n\n"u8];

    public override string ToString() => $"SseRelay({Encoding.UTF8.GetString(DonePayload)} seen: {SawDone})";
}
