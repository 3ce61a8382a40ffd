using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portcullis.Forwarding;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// Reads an OpenAI chat-completions event stream as it arrives, hands every chunk to a
/// <see cref="MessagesToChatStreamTranslator"/>, and writes and flushes the Anthropic events it produced after every
/// read. Events may be split at any byte; lines may end in LF, CRLF or CR. One instance relays one stream.
/// </summary>
// NOTE: the line and event scanning here repeats Forwarding/SseRelay.cs; one shared SSE event scanner under the
// three relays is the next clean-up (the relays' byte-split tests would guard it).
internal sealed class MessagesToChatSseRelay
{
    private const int MaxEventBytes = 16 * 1024 * 1024;
    private const int ReadBytes = 16 * 1024;

    private readonly ArrayBufferWriter<byte> _partialLine = new(1024);
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private bool _hasData;
    private bool _afterCarriageReturn;
    private long _eventBytes;

    /// <summary>
    /// Relays <paramref name="upstream"/> to <paramref name="response"/> through <paramref name="translator"/>. Only
    /// a stream that reached <c>[DONE]</c> is ended with <c>message_delta</c> and <c>message_stop</c>; on every other
    /// outcome the caller ends the client's stream, typically with an <c>error</c> event.
    /// </summary>
    /// <param name="idleTimeout">How long one read may wait for upstream bytes before the stream is given up.</param>
    /// <returns>
    /// <see cref="RelayOutcome.Completed"/> at <c>[DONE]</c>; <see cref="RelayOutcome.UpstreamCut"/> when the upstream
    /// ended or failed before it, or sent a chunk that is not JSON; <see cref="RelayOutcome.TooLarge"/> for an event
    /// over 16 MiB; <see cref="RelayOutcome.IdleTimeout"/> and <see cref="RelayOutcome.ClientCancelled"/> as named.
    /// </returns>
    public async Task<RelayOutcome> RelayAsync(
        Stream upstream,
        HttpResponse response,
        MessagesToChatStreamTranslator translator,
        TimeSpan idleTimeout,
        CancellationToken clientAborted)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBytes);
        try
        {
            while (true)
            {
                // 1. Read what the upstream has; the idle timeout restarts for every read.
                idle.CancelAfter(idleTimeout);
                int read = await upstream.ReadAsync(buffer.AsMemory(0, ReadBytes), idle.Token);
                if (read == 0)
                {
                    // [DONE] ends the relay before EOF, so a stream ending here was cut; a half event is dropped.
                    await WriteAsync(response, clientAborted);
                    return RelayOutcome.UpstreamCut;
                }

                // 2. Translate every event this read completed.
                RelayOutcome? ended = Scan(buffer.AsSpan(0, read), translator);
                if (ended == RelayOutcome.Completed)
                {
                    translator.Complete(_output);
                }

                // 3. Pass the translated events on at once.
                await WriteAsync(response, clientAborted);
                if (ended is { } outcome)
                {
                    return outcome;
                }
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
        catch (HttpRequestException)
        {
            return RelayOutcome.UpstreamCut;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Cuts the bytes into lines; a line without its end yet is kept for the next read. Returns an outcome when the
    // relay should stop: Completed at [DONE], or a failure.
    private RelayOutcome? Scan(ReadOnlySpan<byte> bytes, MessagesToChatStreamTranslator translator)
    {
        // A CR that ended the previous read may be the first half of a CRLF.
        if (_afterCarriageReturn && !bytes.IsEmpty)
        {
            _afterCarriageReturn = false;
            if (bytes[0] == (byte)'\n')
            {
                bytes = bytes[1..];
            }
        }

        while (!bytes.IsEmpty)
        {
            int end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                if (_eventBytes + _partialLine.WrittenCount + bytes.Length > MaxEventBytes)
                {
                    return RelayOutcome.TooLarge;
                }

                _partialLine.Write(bytes);
                return null;
            }

            ReadOnlySpan<byte> line = bytes[..end];
            if (_partialLine.WrittenCount > 0)
            {
                _partialLine.Write(line);
                line = _partialLine.WrittenSpan;
            }

            _eventBytes += line.Length + 1;
            if (_eventBytes > MaxEventBytes)
            {
                return RelayOutcome.TooLarge;
            }

            int next = end + 1;
            if (bytes[end] == (byte)'\r')
            {
                if (next == bytes.Length)
                {
                    _afterCarriageReturn = true;
                }
                else if (bytes[next] == (byte)'\n')
                {
                    next++;
                }
            }

            RelayOutcome? ended = OnLine(line, translator);
            _partialLine.ResetWrittenCount();
            if (ended is not null)
            {
                return ended;
            }

            bytes = bytes[next..];
        }

        return null;
    }

    private RelayOutcome? OnLine(ReadOnlySpan<byte> line, MessagesToChatStreamTranslator translator)
    {
        if (line.IsEmpty)
        {
            return Dispatch(translator);
        }

        // Only data fields matter: OpenAI's stream names no events, and comments (": keep-alive") carry nothing.
        if (!line.StartsWith("data"u8))
        {
            return null;
        }

        ReadOnlySpan<byte> value = line[4..];
        if (!value.IsEmpty && value[0] != (byte)':')
        {
            return null; // a field such as "dataX"
        }

        value = value.IsEmpty ? value : value[1..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (_hasData)
        {
            _data.Write("\n"u8);
        }

        _data.Write(value);
        _hasData = true;
        return null;
    }

    private RelayOutcome? Dispatch(MessagesToChatStreamTranslator translator)
    {
        try
        {
            if (!_hasData)
            {
                return null;
            }

            ReadOnlySpan<byte> data = _data.WrittenSpan.Trim(" \t"u8);
            if (data.SequenceEqual("[DONE]"u8))
            {
                return RelayOutcome.Completed;
            }

            if (!data.IsEmpty)
            {
                translator.OnChunk(data, _output);
            }

            return null;
        }
        catch (JsonException)
        {
            return RelayOutcome.UpstreamCut; // not an OpenAI chunk stream after all
        }
        finally
        {
            _hasData = false;
            _data.ResetWrittenCount();
            _eventBytes = 0;
        }
    }

    private async ValueTask WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        if (_output.WrittenCount == 0)
        {
            return;
        }

        await response.Body.WriteAsync(_output.WrittenMemory, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
        _output.ResetWrittenCount();
    }
}
