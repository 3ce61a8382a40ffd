using System.Globalization;
using System.Text.Json;
using Portcullis.MockUpstream.OpenAI;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>Default answer to <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>.</summary>
internal sealed class MessagesEndpoint(UsageLedger ledger)
{
    private const string EventStream = "text/event-stream; charset=utf-8";

    public async Task AnswerAsync(HttpContext context, byte[] body, bool countOnly)
    {
        HttpResponse response = context.Response;
        CancellationToken ct = context.RequestAborted;

        // 1. Validate as Anthropic does.
        MessagesRequest? request = Parse(body, countOnly, out AnthropicError error);
        if (request is null)
        {
            await AnthropicReply.ErrorAsync(response, error, ct).ConfigureAwait(false);
            return;
        }

        AnthropicReply.AddHeaders(response);
        Utf8JsonWriter w;
        if (countOnly)
        {
            // Counting produces nothing, so nothing goes on the ledger.
            w = JsonReply.Begin();
            w.WriteStartObject();
            w.WriteNumber("input_tokens"u8, request.InputTokens);
            w.WriteEndObject();
            await JsonReply.SendAsync(response, StatusCodes.Status200OK, w, ct).ConfigureAwait(false);
            return;
        }

        // 2. Plan the reply; its usage is counted before the client can see any of it.
        var reply = MessageReply.For(request);
        ledger.Add(request.InputTokens, reply.OutputTokens);
        string id = AnthropicIds.Message();

        // 3. One message object, or a stream of events.
        if (!request.Stream)
        {
            w = JsonReply.Begin();
            MessagePayloads.WriteMessage(w, id, request.Model, reply, request.InputTokens);
            await JsonReply.SendAsync(response, StatusCodes.Status200OK, w, ct).ConfigureAwait(false);
            return;
        }

        EventStreamBuffer events = MessagePayloads.BuildStream(id, request.Model, reply, request.InputTokens);
        response.ContentType = EventStream;
        response.Headers.CacheControl = "no-cache";
        await events.WriteToAsync(response.BodyWriter, ReadPace(context.Request), ct).ConfigureAwait(false);
    }

    private static MessagesRequest? Parse(byte[] body, bool countOnly, out AnthropicError error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.AsMemory());
        }
        catch (JsonException)
        {
            error = AnthropicError.Invalid("There was an issue with the request body: it is not valid JSON");
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = AnthropicError.Invalid("Input should be a valid dictionary or object");
                return null;
            }

            return MessagesRequest.Parse(document.RootElement, countOnly, out error);
        }
    }

    /// <summary>The same pacing header the chat endpoint honours, in milliseconds between events.</summary>
    private static TimeSpan ReadPace(HttpRequest request)
    {
        string? value = request.Headers[ChatCompletionsEndpoint.PaceHeader];
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0
            ? TimeSpan.FromMilliseconds(Math.Min(ms, 60_000))
            : TimeSpan.Zero;
    }
}
