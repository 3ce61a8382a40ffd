using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// Default answer to <c>POST /v1/embeddings</c>: one unit-length vector per input, derived from a hash of the
/// input, so the same input always gets the same vector.
/// </summary>
internal sealed class EmbeddingsEndpoint(UsageLedger ledger)
{
    public async Task AnswerAsync(HttpContext context, byte[] body, long started)
    {
        HttpResponse response = context.Response;
        CancellationToken ct = context.RequestAborted;

        using JsonDocument? document = JsonShapes.ParseObject(body, out ApiError error);
        EmbeddingRequest? request = document is null ? null : EmbeddingRequest.Parse(document.RootElement, out error);
        if (request is null)
        {
            await JsonReply.ErrorAsync(response, error, ct).ConfigureAwait(false);
            return;
        }

        OpenAIHeaders.AddTo(response, started);
        ledger.Add(request.PromptTokens, 0);
        await SendAsync(response, request, ct).ConfigureAwait(false);
    }

    // Builds the whole answer synchronously (JsonReply's buffer is per thread), then sends it.
    private static Task SendAsync(HttpResponse response, EmbeddingRequest request, CancellationToken ct)
    {
        float[] vector = ArrayPool<float>.Shared.Rent(request.Dimensions);
        try
        {
            Span<float> values = vector.AsSpan(0, request.Dimensions);
            Utf8JsonWriter w = JsonReply.Begin();
            w.WriteStartObject();
            w.WriteString("object"u8, "list"u8);
            w.WriteStartArray("data"u8);
            for (int i = 0; i < request.Inputs.Count; i++)
            {
                Fill(values, Seed(request.Inputs[i]));
                w.WriteStartObject();
                w.WriteString("object"u8, "embedding"u8);
                w.WriteNumber("index"u8, i);
                if (request.Base64)
                {
                    w.WriteBase64String("embedding"u8, MemoryMarshal.AsBytes(values));
                }
                else
                {
                    w.WriteStartArray("embedding"u8);
                    foreach (float value in values)
                    {
                        w.WriteNumberValue(value);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("model"u8, request.Model);
            w.WriteStartObject("usage"u8);
            w.WriteNumber("prompt_tokens"u8, request.PromptTokens);
            w.WriteNumber("total_tokens"u8, request.PromptTokens);
            w.WriteEndObject();
            w.WriteEndObject();
            return JsonReply.SendAsync(response, StatusCodes.Status200OK, w, ct);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vector);
        }
    }

    /// <summary>FNV-1a over the input exactly as sent (string bytes, or the token list's JSON).</summary>
    private static ulong Seed(JsonElement input)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in JsonMarshal.GetRawUtf8Value(input))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash == 0 ? 1 : hash;
    }

    /// <summary>Pseudo-random components in [-1, 1) from xorshift64*, scaled to unit length.</summary>
    private static void Fill(Span<float> values, ulong state)
    {
        double sumOfSquares = 0;
        for (int i = 0; i < values.Length; i++)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ulong next = state * 2685821657736338717UL;
            float value = (float)(((next >> 11) * (1.0 / (1UL << 53)) * 2.0) - 1.0);
            values[i] = value;
            sumOfSquares += value * value;
        }

        float scale = sumOfSquares > 0 ? (float)(1.0 / Math.Sqrt(sumOfSquares)) : 1f;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
    }
}
