namespace Portcullis.Providers.Anthropic;

/// <summary>Facts about Anthropic's Messages API the gateway relies on.</summary>
internal static class AnthropicApi
{
    public const string ProviderId = "anthropic";

    /// <summary>The <c>anthropic-version</c> sent when the client names none.</summary>
    public const string Version = "2023-06-01";

    /// <summary>The Messages API requires <c>max_tokens</c>; OpenAI clients often send none.</summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>An error event in Anthropic's own stream format, for /v1/messages streams that end abnormally.</summary>
    public static byte[] ErrorEvent(Forwarding.GatewayError error)
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", error.Status == 504 ? "timeout_error" : "api_error");
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return [.. "event: error\ndata: "u8, .. buffer.ToArray(), .. "\n\n"u8];
    }
}
