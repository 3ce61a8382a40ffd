using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>The headers and error bodies every Anthropic answer carries.</summary>
internal static class AnthropicReply
{
    public static void AddHeaders(HttpResponse response) => response.Headers["request-id"] = AnthropicIds.Request();

    /// <summary>Sends <c>{"type":"error","error":{"type":...,"message":...}}</c> with the error's status.</summary>
    public static Task ErrorAsync(HttpResponse response, AnthropicError error, CancellationToken ct)
    {
        AddHeaders(response);

        Utf8JsonWriter w = JsonReply.Begin();
        w.WriteStartObject();
        w.WriteString("type"u8, "error"u8);
        w.WriteStartObject("error"u8);
        w.WriteString("type"u8, error.Type);
        w.WriteString("message"u8, error.Message);
        w.WriteEndObject();
        w.WriteEndObject();
        return JsonReply.SendAsync(response, error.Status, w, ct);
    }
}
