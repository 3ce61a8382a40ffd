namespace Portcullis.Forwarding;

/// <summary>How a whole (non-streamed) upstream answer is turned into the format the client asked in.</summary>
internal enum AnswerTranslation
{
    /// <summary>Passed on as it is.</summary>
    None,

    /// <summary>An Anthropic message, for a client that sent an OpenAI chat completion.</summary>
    AnthropicToChat,

    /// <summary>An OpenAI chat completion, for a client that sent Anthropic's Messages format.</summary>
    ChatToMessages,
}
