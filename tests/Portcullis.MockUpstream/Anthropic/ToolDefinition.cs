namespace Portcullis.MockUpstream.Anthropic;

/// <summary>A tool from the request: its name and the input the mock calls it with.</summary>
/// <param name="Name">Echoed in the <c>tool_use</c> block.</param>
/// <param name="InputJson">Compact JSON object built from the tool's <c>input_schema</c>.</param>
internal sealed record ToolDefinition(string Name, string InputJson);
