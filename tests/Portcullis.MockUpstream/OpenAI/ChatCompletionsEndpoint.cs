using System.Globalization;
using System.Text.Json;
using Portcullis.MockUpstream.Benchmark;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Default answer to <c>POST /v1/chat/completions</c>.</summary>
internal sealed class ChatCompletionsEndpoint(UsageLedger ledger, TimeProvider time, BenchmarkReplies? bench)
{
    /// <summary>Request header that spaces streamed frames this many milliseconds apart.</summary>
    public const string PaceHeader = "x-mock-pace-ms";

    private const string EventStream = "text/event-stream; charset=utf-8";

    public async Task AnswerAsync(HttpContext context, byte[] body, long started)
    {
        HttpResponse response = context.Response;
        CancellationToken ct = context.RequestAborted;

        // 1. Validate as OpenAI does.
        ChatCompletionRequest? request;
        ApiError error;
        using (JsonDocument? document = JsonShapes.ParseObject(body, out error))
        {
            request = document is null ? null : ChatCompletionRequest.Parse(document.RootElement, out error);
        }

        if (request is null)
        {
            await JsonReply.ErrorAsync(response, error, ct).ConfigureAwait(false);
            return;
        }

        OpenAIHeaders.AddTo(response, started);
        TimeSpan pace = ReadPace(context.Request);
        if (bench is not null)
        {
            await AnswerFixedAsync(response, request, pace, bench, ct).ConfigureAwait(false);
            return;
        }

        // 2. Plan the reply; its usage is counted before the client can see any of it.
        var reply = ReplyPlan.For(request.MaxTokens);
        var usage = new TokenUsage(request.PromptTokens, reply.WordCount * request.Choices);
        ledger.Add(usage.PromptTokens, usage.CompletionTokens);
        CompletionIdentity id = CompletionIdentity.Create("chatcmpl-", request.Model, time);

        // 3. One JSON object, or a stream of chunks.
        if (!request.Stream)
        {
            Utf8JsonWriter writer = JsonReply.Begin();
            ChatPayloads.WriteCompletion(writer, id, reply.Text, reply.FinishReason, request.Choices, usage);
            await JsonReply.SendAsync(response, StatusCodes.Status200OK, writer, ct).ConfigureAwait(false);
            return;
        }

        SseFrameBuffer frames = ChatPayloads.BuildStream(
            id, reply.Deltas, reply.FinishReason, request.Choices, usage, request.IncludeUsage);
        response.ContentType = EventStream;
        await frames.WriteToAsync(response.BodyWriter, pace, ct).ConfigureAwait(false);
    }

    private async Task AnswerFixedAsync(
        HttpResponse response,
        ChatCompletionRequest request,
        TimeSpan pace,
        BenchmarkReplies replies,
        CancellationToken ct)
    {
        if (!request.Stream)
        {
            ledger.Add(replies.ChatUsage.PromptTokens, replies.ChatUsage.CompletionTokens);
            await JsonReply.SendAsync(response, StatusCodes.Status200OK, replies.ChatJson, ct).ConfigureAwait(false);
            return;
        }

        bool paced = pace > TimeSpan.Zero;
        TokenUsage usage = paced ? replies.PacedUsage : replies.StreamUsage;
        SseFrameBuffer frames = (paced, request.IncludeUsage) switch
        {
            (true, true) => replies.PacedWithUsage,
            (true, false) => replies.Paced,
            (false, true) => replies.StreamWithUsage,
            (false, false) => replies.Stream,
        };

        ledger.Add(usage.PromptTokens, usage.CompletionTokens);
        response.ContentType = EventStream;
        await frames.WriteToAsync(response.BodyWriter, pace, ct).ConfigureAwait(false);
    }

    private static TimeSpan ReadPace(HttpRequest request)
    {
        string? value = request.Headers[PaceHeader];
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0
            ? TimeSpan.FromMilliseconds(Math.Min(ms, 60_000))
            : TimeSpan.Zero;
    }
}
