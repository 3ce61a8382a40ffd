using System.Text.Json;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Default answer to the legacy <c>POST /v1/completions</c>.</summary>
internal sealed class TextCompletionsEndpoint(UsageLedger ledger, TimeProvider time)
{
    public async Task AnswerAsync(HttpContext context, byte[] body, long started)
    {
        HttpResponse response = context.Response;
        CancellationToken ct = context.RequestAborted;

        // 1. Validate as OpenAI does.
        TextCompletionRequest? request;
        ApiError error;
        using (JsonDocument? document = JsonShapes.ParseObject(body, out error))
        {
            request = document is null ? null : TextCompletionRequest.Parse(document.RootElement, out error);
        }

        if (request is null)
        {
            await JsonReply.ErrorAsync(response, error, ct).ConfigureAwait(false);
            return;
        }

        // 2. Plan the reply; its usage is counted before the client can see any of it.
        OpenAIHeaders.AddTo(response, started);
        var reply = ReplyPlan.For(request.MaxTokens);
        var usage = new TokenUsage(request.PromptTokens, reply.WordCount * request.Choices);
        ledger.Add(usage.PromptTokens, usage.CompletionTokens);
        CompletionIdentity id = CompletionIdentity.Create("cmpl-", request.Model, time);

        // 3. One JSON object, or a stream of chunks.
        if (!request.Stream)
        {
            Utf8JsonWriter writer = JsonReply.Begin();
            TextCompletionPayloads.WriteCompletion(writer, id, reply.Text, reply.FinishReason, request.Choices, usage);
            await JsonReply.SendAsync(response, StatusCodes.Status200OK, writer, ct).ConfigureAwait(false);
            return;
        }

        SseFrameBuffer frames = TextCompletionPayloads.BuildStream(
            id, reply.Deltas, reply.FinishReason, request.Choices, usage, request.IncludeUsage);
        response.ContentType = "text/event-stream; charset=utf-8";
        await frames.WriteToAsync(response.BodyWriter, TimeSpan.Zero, ct).ConfigureAwait(false);
    }
}
