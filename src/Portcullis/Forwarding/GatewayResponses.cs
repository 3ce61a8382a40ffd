using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Portcullis.Forwarding;

/// <summary>Writes gateway errors and the identifying headers every answer carries.</summary>
internal static class GatewayResponses
{
    public const string TraceIdHeader = "x-portkey-trace-id";
    public const string ProviderHeader = "x-portkey-provider";
    public const string GatewayExceptionHeader = "x-portkey-gateway-exception";

    public static async Task WriteErrorAsync(HttpContext context, GatewayError error)
    {
        HttpResponse response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.Status;
        response.Headers[GatewayExceptionHeader] = "true";
        response.ContentType = "application/json";
        await response.Body.WriteAsync(Serialize(error), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The caller's trace id when it is a sane token (at most 128 visible ASCII characters), else a new one.</summary>
    public static string TraceIdOf(HttpRequest request)
    {
        string? given = request.Headers[TraceIdHeader];
        if (!string.IsNullOrWhiteSpace(given) && given.Length <= 128)
        {
            bool visible = true;
            foreach (char c in given)
            {
                visible &= c > ' ' && c < 127;
            }

            if (visible)
            {
                return given;
            }
        }

        return Guid.NewGuid().ToString();
    }

    public static byte[] Serialize(GatewayError error)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", error.Message);
            writer.WriteString("type", error.Type);
            writer.WriteNull("param");
            if (error.Code is null)
            {
                writer.WriteNull("code");
            }
            else
            {
                writer.WriteString("code", error.Code);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
