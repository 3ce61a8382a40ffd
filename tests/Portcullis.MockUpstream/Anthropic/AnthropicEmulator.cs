using Portcullis.MockUpstream.OpenAI;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.Anthropic;

/// <summary>
/// Anthropic's Messages API at <c>/v1/messages</c> and <c>/v1/messages/count_tokens</c>: the key in
/// <c>x-api-key</c> (the mock's accepted keys apply; <c>Authorization</c> is not read), an <c>anthropic-version</c>
/// header, then the endpoint.
/// </summary>
internal sealed class AnthropicEmulator(ApiKeyCheck keys, UsageLedger ledger)
{
    public const string MessagesPath = "/v1/messages";

    public const string CountTokensPath = "/v1/messages/count_tokens";

    private readonly MessagesEndpoint _messages = new(ledger);

    /// <summary>True for the paths this emulator answers, whatever the method.</summary>
    public static bool Handles(string path) => path is MessagesPath or CountTokensPath;

    public Task AnswerAsync(HttpContext context, byte[] body)
    {
        HttpRequest request = context.Request;

        // 1. Key, then version, then method, in the order Anthropic checks them.
        string key = request.Headers["x-api-key"].ToString().Trim();
        AnthropicError? error = null;
        if (key.Length == 0 || (keys.AcceptedCount > 0 && !keys.Accepts(key)))
        {
            error = AnthropicError.InvalidKey();
        }
        else if (string.IsNullOrWhiteSpace(request.Headers["anthropic-version"]))
        {
            error = AnthropicError.MissingVersion();
        }
        else if (!HttpMethods.IsPost(request.Method))
        {
            error = AnthropicError.NotFound();
        }

        if (error is { } denied)
        {
            return AnthropicReply.ErrorAsync(context.Response, denied, context.RequestAborted);
        }

        // 2. The endpoint.
        bool countOnly = request.Path.Value == CountTokensPath;
        return _messages.AnswerAsync(context, body, countOnly);
    }
}
