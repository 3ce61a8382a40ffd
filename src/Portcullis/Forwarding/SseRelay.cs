using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portcullis.Usage;
using Portcullis.Usage.Tokens;

namespace Portcullis.Forwarding;

/// <summary>
/// Copies a server-sent event stream to the client as it arrives, event by event and byte for byte, flushing after
/// every read. On the way it reads usage from the chunks and, when the client did not ask for usage, holds back the
/// usage-only chunk the gateway asked the upstream for.
/// </summary>
// NOTE: TranslatingSseRelay scans lines the same way; one scanner under both is the next clean-up.
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
    private readonly List<(int Start, int End)> _held = [];
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private bool _hasData;
    private bool _modelRead;

    private readonly bool _anthropicEvents;

    /// <param name="forwardUsageOnlyChunks">Pass OpenAI's usage-only chunk on (the client asked for usage).</param>
    /// <param name="anthropicEvents">The stream is Anthropic's: it ends with message_stop, not [DONE].</param>
    public SseRelay(bool forwardUsageOnlyChunks, bool anthropicEvents = false)
    {
        _forwardUsageOnlyChunks = forwardUsageOnlyChunks;
        _anthropicEvents = anthropicEvents;
    }

    public TokenUsage Usage { get; private set; }

    /// <summary>Keeps every event's data, so completion tokens can be counted when no usage comes.</summary>
    public OutputCapture? Capture { get; init; }

    public bool SawDone { get; private set; }

    /// <summary>The upstream sent an error object inside the stream.</summary>
    public bool SawUpstreamError { get; private set; }

    /// <summary>The model the stream's first chunk names.</summary>
    public string? UpstreamModel { get; private set; }


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
                    // The upstream ended. Half an event is never passed on, and a stream without its final [DONE]
                    // was cut short: the caller then ends it with an error event.
                    bool partial = _filled > _eventStart && !IsBlank(_buffer.AsSpan(_eventStart, _filled - _eventStart));
                    return partial || !SawDone ? RelayOutcome.UpstreamCut : RelayOutcome.Completed;
                }

                _filled += read;
                int writeEnd = ScanEvents();
                int from = 0;
                foreach ((int skipStart, int skipEnd) in _held)
                {
                    await WriteAsync(response, from, skipStart, flush: false, clientAborted);
                    from = skipEnd;
                }

                _held.Clear();
                await WriteAsync(response, from, writeEnd, flush: true, clientAborted);
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

    // Walks complete lines from _scan; returns the end of the last complete event, and lists in _held the events to
    // hold back from the client.
    private int ScanEvents()
    {
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
                if (EndEvent())
                {
                    _held.Add((_eventStart, next));
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
        Capture?.AppendEvent(data);
        bool hold = false;
        // The first event names the model (OpenAI repeats it in every chunk): read it once, not per chunk.
        if (!_modelRead)
        {
            _modelRead = true;
            UpstreamModel = ModelReader.TryRead(data);
        }

        SawUpstreamError |= data.StartsWith("{\"error\""u8) || data.StartsWith("{\"type\":\"error\""u8);
        if (data.SequenceEqual(DonePayload) || (_anthropicEvents && data.IndexOf("\"message_stop\""u8) >= 0))
        {
            SawDone = true;
        }
        else if (data.IndexOf(UsageProperty) >= 0 && UsageReader.TryRead(data, out TokenUsage usage, out bool usageOnly))
        {
            if (usage.IsKnown)
            {
                // Anthropic reports input tokens at the start and cumulative output tokens later: keep what each knows.
                Usage = new TokenUsage(
                    usage.PromptTokens ?? Usage.PromptTokens,
                    usage.CompletionTokens ?? Usage.CompletionTokens,
                    (usage.PromptTokens ?? Usage.PromptTokens) + (usage.CompletionTokens ?? Usage.CompletionTokens),
                    usage.CachedPromptTokens ?? Usage.CachedPromptTokens);
            }

            hold = usageOnly && !_forwardUsageOnlyChunks;
        }

        _data.Clear();
        _hasData = false;
        return hold;
    }

    private async ValueTask WriteAsync(HttpResponse response, int start, int end, bool flush, CancellationToken cancellationToken)
    {
        if (end > start)
        {
            await response.Body.WriteAsync(_buffer.AsMemory(start, end - start), cancellationToken);
        }

        if (flush)
        {
            await response.Body.FlushAsync(cancellationToken);
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)'\r', (byte)'\n') < 0;

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
