using Portcullis.Providers.Anthropic;

namespace Portcullis.Forwarding;

/// <summary>
/// Which wire format the client speaks (OpenAI's, or Anthropic's on <c>/v1/messages</c>) and which the upstream
/// speaks. Decided once per request; a translation runs where the two differ.
/// </summary>
internal readonly record struct Dialects(bool ClientAnthropic, bool UpstreamAnthropic)
{
    public static Dialects Of(string operation, string provider) =>
        new(operation == "messages", provider == AnthropicApi.ProviderId);

    /// <summary>An OpenAI chat completion sent to Anthropic's Messages API, and the answer back.</summary>
    public bool ChatToMessagesApi => !ClientAnthropic && UpstreamAnthropic;

    /// <summary>Anthropic's Messages format sent to an OpenAI-format upstream as a chat completion, and back.</summary>
    public bool MessagesApiToChat => ClientAnthropic && !UpstreamAnthropic;

    /// <summary>How a whole (non-streamed) answer is turned into the client's format.</summary>
    public AnswerTranslation Answer =>
        ChatToMessagesApi ? AnswerTranslation.AnthropicToChat
        : MessagesApiToChat ? AnswerTranslation.ChatToMessages
        : AnswerTranslation.None;
}
