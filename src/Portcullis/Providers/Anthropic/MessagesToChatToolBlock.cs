using System.Text;

namespace Portcullis.Providers.Anthropic;

/// <summary>
/// One OpenAI tool call being streamed as an Anthropic tool_use block: what has arrived of it, and where its block
/// stands in the Anthropic stream.
/// </summary>
internal sealed class MessagesToChatToolBlock(int openAiIndex)
{
    /// <summary>The call's <c>index</c> among OpenAI's tool calls.</summary>
    public int OpenAiIndex { get; } = openAiIndex;

    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>The Anthropic content block index, or -1 while the block has not been started.</summary>
    public int BlockIndex { get; set; } = -1;

    public bool Started => BlockIndex >= 0;

    public bool Closed { get; set; }

    /// <summary>Argument pieces that arrived before the call's name, sent once the block starts.</summary>
    public StringBuilder PendingArguments { get; } = new();
}
