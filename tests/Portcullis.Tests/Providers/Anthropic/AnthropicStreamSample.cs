namespace Portcullis.Tests.Providers.Anthropic;

/// <summary>
/// An Anthropic Messages stream in the shape of case B22: text with multi-byte characters, then two parallel tool
/// calls whose arguments arrive in pieces, and output tokens reported cumulatively by two message_delta events.
/// </summary>
internal static class AnthropicStreamSample
{
    public const string Text = "Adding \u2014 caf\u00e9 \u2713 \U0001F9EE";

    public static readonly string[] Events =
    [
        """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}}
        """,
        """
        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}
        """,
        """
        event: ping
        data: {"type": "ping"}
        """,
        $$$"""
        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{Text}}}"}}
        """,
        """
        event: content_block_stop
        data: {"type":"content_block_stop","index":0}
        """,
        """
        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"add_numbers","input":{}}}
        """,
        """
        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}
        """,
        """
        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}
        """,
        """
        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"17,\"b\":25}"}}
        """,
        """
        event: content_block_stop
        data: {"type":"content_block_stop","index":1}
        """,
        """
        event: content_block_start
        data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_2","name":"add_numbers","input":{}}}
        """,
        """
        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"a\":2,"}}
        """,
        """
        event: content_block_delta
        data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"b\":2}"}}
        """,
        """
        event: content_block_stop
        data: {"type":"content_block_stop","index":2}
        """,
        """
        event: message_delta
        data: {"type":"message_delta","delta":{},"usage":{"output_tokens":30}}
        """,
        """
        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40}}
        """,
        """
        event: message_stop
        data: {"type":"message_stop"}
        """,
    ];

    /// <summary>The whole stream as SSE with the given line ending.</summary>
    public static string Sse(string newline = "\n", int eventCount = int.MaxValue) =>
        string.Concat(Events.Take(eventCount).Select(e => e.Replace("\n", newline, StringComparison.Ordinal) + newline + newline));

    /// <summary>Splits an event into its name and data, as a relay would hand them over.</summary>
    public static (string Name, string Data) Parse(string sseEvent)
    {
        string[] lines = sseEvent.Split('\n');
        return (lines[0]["event: ".Length..], lines[1]["data: ".Length..]);
    }
}
