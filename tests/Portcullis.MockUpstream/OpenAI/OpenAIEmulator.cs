using Portcullis.MockUpstream.Benchmark;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The default behaviour: authenticate, then route to the endpoint OpenAI would answer with.</summary>
internal sealed class OpenAIEmulator
{
    private const string ModelsPath = "/v1/models";

    private readonly ApiKeyCheck _keys;
    private readonly ChatCompletionsEndpoint _chat;
    private readonly TextCompletionsEndpoint _completions;
    private readonly EmbeddingsEndpoint _embeddings;
    private readonly ModelsEndpoint _models = new();

    public OpenAIEmulator(ApiKeyCheck keys, UsageLedger ledger, TimeProvider time, BenchmarkReplies? bench)
    {
        _keys = keys;
        _chat = new ChatCompletionsEndpoint(ledger, time, bench);
        _completions = new TextCompletionsEndpoint(ledger, time);
        _embeddings = new EmbeddingsEndpoint(ledger);
    }

    public Task AnswerAsync(HttpContext context, byte[] body, long started)
    {
        HttpRequest request = context.Request;

        // 1. Authenticate first, as OpenAI does, whatever the path.
        if (_keys.Check(request) is { } denied)
        {
            return JsonReply.ErrorAsync(context.Response, denied, context.RequestAborted);
        }

        // 2. Route.
        string path = request.Path.Value ?? "/";
        if (HttpMethods.IsPost(request.Method))
        {
            switch (path)
            {
                case "/v1/chat/completions":
                    return _chat.AnswerAsync(context, body, started);
                case "/v1/completions":
                    return _completions.AnswerAsync(context, body, started);
                case "/v1/embeddings":
                    return _embeddings.AnswerAsync(context, body, started);
                default:
                    break;
            }
        }
        else if (HttpMethods.IsGet(request.Method))
        {
            if (path == ModelsPath)
            {
                return _models.ListAsync(context, started);
            }

            if (path.StartsWith(ModelsPath + "/", StringComparison.Ordinal) && path.Length > ModelsPath.Length + 1)
            {
                return _models.GetAsync(context, path[(ModelsPath.Length + 1)..], started);
            }
        }

        ApiError unknown = ApiError.UnknownUrl(request.Method, path);
        return JsonReply.ErrorAsync(context.Response, unknown, context.RequestAborted);
    }
}
