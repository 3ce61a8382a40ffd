using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portcullis.Forwarding;

/// <summary>
/// Builds the body sent upstream from the client's bytes: the model replaced when it carried an <c>@slug/</c> prefix,
/// and <c>stream_options.include_usage</c> turned on for streams so usage can be counted. Nothing else is touched.
/// </summary>
internal static class UpstreamBodyBuilder
{
    private static readonly byte[] UsageOption = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();

    public static HttpContent Build(ReadOnlyMemory<byte> body, RequestBodyFacts facts, string? newModel, bool requestUsage)
    {
        var edits = new List<(int Start, int End, ReadOnlyMemory<byte> Replacement)>(2);
        if (newModel is not null && facts.ModelStart >= 0)
        {
            edits.Add((facts.ModelStart, facts.ModelEnd, JsonSerializer.SerializeToUtf8Bytes(newModel)));
        }

        if (requestUsage && !facts.IncludeUsage)
        {
            if (facts.StreamOptionsStart >= 0)
            {
                Range options = facts.StreamOptionsStart..facts.StreamOptionsEnd;
                edits.Add((facts.StreamOptionsStart, facts.StreamOptionsEnd, MergedOptions(body.Span[options])));
            }
            else
            {
                int insertAt = facts.ObjectStart + 1;
                edits.Add((insertAt, insertAt, UsageOption));
            }
        }

        if (edits.Count == 0)
        {
            return new ReadOnlyMemoryContent(body);
        }

        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        var segments = new List<ReadOnlyMemory<byte>>(edits.Count * 2 + 1);
        int position = 0;
        foreach ((int start, int end, ReadOnlyMemory<byte> replacement) in edits)
        {
            segments.Add(body[position..start]);
            segments.Add(replacement);
            position = end;
        }

        segments.Add(body[position..]);
        return new SegmentedContent(segments);
    }

    private static byte[] MergedOptions(ReadOnlySpan<byte> original)
    {
        // The inspector has checked the object: no repeated field, at most 32 levels deep.
        JsonObject options = JsonNode.Parse(original, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject ?? [];
        options["include_usage"] = true;
        return Encoding.UTF8.GetBytes(options.ToJsonString());
    }
}
