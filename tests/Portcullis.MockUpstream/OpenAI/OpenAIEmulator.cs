using Portcullis.MockUpstream.Anthropic;
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
    private readonly AnthropicEmulator _anthropic;

    private readonly AcceptedKeySet _azureDeployments;
    private readonly string _azureKeyHeader;

    public OpenAIEmulator(
        ApiKeyCheck keys, UsageLedger ledger, TimeProvider time, BenchmarkReplies? bench, AcceptedKeySet azureDeployments,
        string? azureKeyHeader)
    {
        _keys = keys;
        _azureDeployments = azureDeployments;
        _azureKeyHeader = azureKeyHeader ?? "api-key";
        _chat = new ChatCompletionsEndpoint(ledger, time, bench);
        _completions = new TextCompletionsEndpoint(ledger, time);
        _embeddings = new EmbeddingsEndpoint(ledger);
        _anthropic = new AnthropicEmulator(keys, ledger);
    }

    public Task AnswerAsync(HttpContext context, byte[] body, long started)
    {
        HttpRequest request = context.Request;

        // 0. Azure OpenAI's deployment paths: api-key header, api-version query, known deployments.
        if (AzureRoutes.TryParse(request.Path.Value ?? "/", out string deployment, out string operation))
        {
            return AnswerAzureAsync(context, body, started, deployment, operation);
        }

        // 0b. Anthropic's Messages API: its own key header, version header and error shape.
        if (AnthropicEmulator.Handles(request.Path.Value ?? "/"))
        {
            return _anthropic.AnswerAsync(context, body);
        }

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

    private Task AnswerAzureAsync(HttpContext context, byte[] body, long started, string deployment, string operation)
    {
        HttpRequest request = context.Request;
        string key = request.Headers[_azureKeyHeader].ToString().Trim();
        ApiError? error = null;
        if (key.Length == 0 || (_keys.AcceptedCount > 0 && !_keys.Accepts(key)))
        {
            error = AzureRoutes.AccessDenied();
        }
        else if (string.IsNullOrEmpty(request.Query["api-version"]))
        {
            error = AzureRoutes.MissingApiVersion();
        }
        else if (_azureDeployments.Count > 0 && !_azureDeployments.Contains(deployment))
        {
            error = AzureRoutes.DeploymentNotFound(deployment);
        }

        if (error is { } denied)
        {
            return JsonReply.ErrorAsync(context.Response, denied, context.RequestAborted);
        }

        return operation switch
        {
            "chat/completions" when HttpMethods.IsPost(request.Method) => _chat.AnswerAsync(context, body, started),
            "completions" when HttpMethods.IsPost(request.Method) => _completions.AnswerAsync(context, body, started),
            "embeddings" when HttpMethods.IsPost(request.Method) => _embeddings.AnswerAsync(context, body, started),
            _ => JsonReply.ErrorAsync(context.Response, ApiError.UnknownUrl(request.Method, request.Path.Value ?? "/"), context.RequestAborted),
        };
    }
}
