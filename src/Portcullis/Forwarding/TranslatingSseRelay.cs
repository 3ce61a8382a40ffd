using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Portcullis.Usage.Tokens;

namespace Portcullis.Forwarding;

/// <summary>
/// Reads a server-sent event stream as it arrives, hands every complete event to an <see cref="ISseTranslator"/>
/// (Anthropic to OpenAI, or OpenAI to Anthropic), and writes and flushes what it produced after every read. Events may
/// be split at any byte; lines may end in LF, CRLF or CR. One instance relays one stream.
/// </summary>
// NOTE: SseRelay (the byte-exact pass-through) still scans lines its own way, since it forwards the raw bytes.
internal sealed class TranslatingSseRelay
{
    private const int MaxEventBytes = 16 * 1024 * 1024;
    private const int ReadBytes = 16 * 1024;

    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private string? _eventName;
    private bool _hasData;
    private bool _skipLineFeed;
    private long _eventBytes;

    /// <summary>
    /// Keeps every upstream event's data as it was before translation, so completion tokens can be counted when no
    /// usage comes: the upstream's events are what it bills for (Anthropic's thinking deltas have no OpenAI chunk).
    /// </summary>
    public OutputCapture? Capture { get; init; }

    /// <summary>
    /// Relays <paramref name="upstream"/> to <paramref name="response"/> through <paramref name="translator"/>.
    /// Only a stream that reached its end event is closed by <see cref="ISseTranslator.Complete"/>; on every other
    /// outcome the caller ends the client's stream, typically with an error event.
    /// </summary>
    /// <param name="idleTimeout">How long a single read may wait for upstream bytes before the stream is given up.</param>
    /// <returns>
    /// <see cref="RelayOutcome.Completed"/> after the end event; <see cref="RelayOutcome.UpstreamCut"/> when the
    /// upstream ended or failed before it, or sent an event that is not JSON; <see cref="RelayOutcome.TooLarge"/>
    /// for an event over 16 MiB; <see cref="RelayOutcome.IdleTimeout"/> and <see cref="RelayOutcome.ClientCancelled"/>
    /// as named.
    /// </returns>
    public async Task<RelayOutcome> RelayAsync(
        Stream upstream,
        HttpResponse response,
        ISseTranslator translator,
        TimeSpan idleTimeout,
        CancellationToken clientAborted)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBytes);
        try
        {
            while (true)
            {
                // 1. Read what the upstream has, with the idle timeout applied to this read alone.
                idle.CancelAfter(idleTimeout);
                int read = await upstream.ReadAsync(buffer.AsMemory(0, ReadBytes), idle.Token);
                if (read == 0)
                {
                    // The end event stops the relay before EOF, so a stream ending here was cut short. What complete
                    // events produced is passed on; half an event never is.
                    await WriteAsync(response, clientAborted);
                    return RelayOutcome.UpstreamCut;
                }

                // 2. Translate every event the read completed.
                RelayOutcome? ended = Scan(buffer.AsSpan(0, read), translator);
                if (ended == RelayOutcome.Completed)
                {
                    translator.Complete(_output);
                }

                // 3. Pass the chunks on at once.
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
        catch (System.Net.Http.HttpRequestException)
        {
            return RelayOutcome.UpstreamCut;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Splits the bytes into lines, carrying an unfinished line over to the next read. Returns an outcome when the
    // relay should end: Completed at message_stop, else a failure.
    private RelayOutcome? Scan(ReadOnlySpan<byte> bytes, ISseTranslator translator)
    {
        if (_skipLineFeed && !bytes.IsEmpty)
        {
            // The previous read ended in CR; an LF now is the second half of CRLF.
            _skipLineFeed = false;
            if (bytes[0] == '\n')
            {
                bytes = bytes[1..];
            }
        }

        while (!bytes.IsEmpty)
        {
            int end = bytes.IndexOfAny((byte)'\n', (byte)'\r');
            if (end < 0)
            {
                if (_eventBytes + _line.WrittenCount + bytes.Length > MaxEventBytes)
                {
                    return RelayOutcome.TooLarge;
                }

                _line.Write(bytes);
                return null;
            }

            // A line ends here; it may have begun in an earlier read.
            ReadOnlySpan<byte> line = bytes[..end];
            if (_line.WrittenCount > 0)
            {
                _line.Write(line);
                line = _line.WrittenSpan;
            }

            _eventBytes += line.Length + 1;
            if (_eventBytes > MaxEventBytes)
            {
                return RelayOutcome.TooLarge;
            }

            int next = end + 1;
            if (bytes[end] == '\r')
            {
                if (next == bytes.Length)
                {
                    _skipLineFeed = true;
                }
                else if (bytes[next] == '\n')
                {
                    next++;
                }
            }

            RelayOutcome? ended = OnLine(line, translator);
            _line.ResetWrittenCount();
            if (ended is not null)
            {
                return ended;
            }

            bytes = bytes[next..];
        }

        return null;
    }

    private RelayOutcome? OnLine(ReadOnlySpan<byte> line, ISseTranslator translator)
    {
        // A blank line ends the event.
        if (line.IsEmpty)
        {
            return Dispatch(translator);
        }

        if (line[0] == ':')
        {
            return null; // a comment
        }

        int colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> field = colon < 0 ? line : line[..colon];
        ReadOnlySpan<byte> value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == ' ')
        {
            value = value[1..];
        }

        if (field.SequenceEqual("event"u8))
        {
            _eventName = Encoding.UTF8.GetString(value);
        }
        else if (field.SequenceEqual("data"u8))
        {
            if (_hasData)
            {
                _data.Write("\n"u8);
            }

            _data.Write(value);
            _hasData = true;
        }

        return null;
    }

    private RelayOutcome? Dispatch(ISseTranslator translator)
    {
        try
        {
            if (_hasData)
            {
                Capture?.AppendEvent(_data.WrittenSpan);
            }

            if (_hasData && translator.OnEvent(_eventName, _data.WrittenSpan, _output))
            {
                return RelayOutcome.Completed;
            }
        }
        catch (JsonException)
        {
            return RelayOutcome.UpstreamCut; // not the stream format the translator expects after all
        }
        finally
        {
            _eventName = null;
            _hasData = false;
            _data.ResetWrittenCount();
            _eventBytes = 0;
        }

        return null;
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
