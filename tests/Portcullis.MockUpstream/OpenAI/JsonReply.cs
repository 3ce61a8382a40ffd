using System.Buffers;
using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// Writes whole JSON answers with a Content-Length. The JSON is built in a per-thread buffer, so the hot path
/// allocates almost nothing.
/// </summary>
internal static class JsonReply
{
    private const string JsonContentType = "application/json";

    // A buffer grown past this (a big embeddings answer) is dropped after use rather than kept per thread.
    private const int KeepLimit = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// A writer over this thread's empty buffer. NOTE: build the JSON and call <see cref="SendAsync"/> without any
    /// await in between, or another request on this thread could take the same buffer.
    /// </summary>
    public static Utf8JsonWriter Begin()
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();

        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(buffer, JsonShapes.WriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>Sends what was written since <see cref="Begin"/>; the bytes are copied before any await.</summary>
    public static async Task SendAsync(HttpResponse response, int status, Utf8JsonWriter writer, CancellationToken ct)
    {
        writer.Flush();
        ArrayBufferWriter<byte> buffer = t_buffer!;

        response.StatusCode = status;
        response.ContentType = JsonContentType;
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);

        if (buffer.Capacity > KeepLimit)
        {
            t_buffer = null;
            t_writer = null;
        }

        await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Sends pre-built JSON bytes.</summary>
    public static async Task SendAsync(
        HttpResponse response,
        int status,
        ReadOnlyMemory<byte> json,
        CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        response.ContentLength = json.Length;
        await response.BodyWriter.WriteAsync(json, ct).ConfigureAwait(false);
    }

    /// <summary>Sends an OpenAI error object with a request id.</summary>
    public static Task ErrorAsync(HttpResponse response, ApiError error, CancellationToken ct)
    {
        OpenAIHeaders.AddToError(response);

        Utf8JsonWriter w = Begin();
        w.WriteStartObject();
        w.WriteStartObject("error"u8);
        w.WriteString("message"u8, error.Message);
        w.WriteString("type"u8, error.Type);
        w.WriteString("param"u8, error.Param);
        w.WriteString("code"u8, error.Code);
        w.WriteEndObject();
        w.WriteEndObject();
        return SendAsync(response, error.Status, w, ct);
    }
}
