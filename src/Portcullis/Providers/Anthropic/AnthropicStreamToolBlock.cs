namespace Portcullis.Providers.Anthropic;

/// <summary>One tool_use block of an Anthropic stream, as the OpenAI tool call it becomes.</summary>
internal sealed class AnthropicStreamToolBlock(int openAiIndex)
{
    /// <summary>The tool call's index in OpenAI's <c>tool_calls</c> deltas: 0 for the stream's first tool call.</summary>
    public int OpenAiIndex { get; } = openAiIndex;

    /// <summary>The input the block started with, when it was not empty; sent as arguments if no delta follows.</summary>
    public string? InitialInput { get; set; }

    /// <summary>Whether any <c>input_json_delta</c> arrived for this block.</summary>
    public bool SawDelta { get; set; }
}
