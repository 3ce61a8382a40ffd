using System.Buffers;
using System.Text.Json;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>Default answers to <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, built once.</summary>
internal sealed class ModelsEndpoint
{
    private static readonly (string Id, long Created)[] Catalogue =
    [
        ("gpt-4o-mini", 1721172741),
        ("gpt-4o", 1715367049),
        ("gpt-4.1-mini", 1744318173),
        ("o3-mini", 1737146383),
        ("mock-model", 1735689600),
        ("text-embedding-3-small", 1705948997),
        ("text-embedding-3-large", 1705953180),
    ];

    private readonly byte[] _list;
    private readonly Dictionary<string, byte[]> _byId = new(StringComparer.Ordinal);

    public ModelsEndpoint()
    {
        _list = Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("object"u8, "list"u8);
            w.WriteStartArray("data"u8);
            foreach ((string id, long created) in Catalogue)
            {
                WriteModel(w, id, created);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });

        foreach ((string id, long created) in Catalogue)
        {
            _byId[id] = Build(w => WriteModel(w, id, created));
        }
    }

    public Task ListAsync(HttpContext context, long started)
    {
        OpenAIHeaders.AddTo(context.Response, started);
        return JsonReply.SendAsync(context.Response, StatusCodes.Status200OK, _list, context.RequestAborted);
    }

    public Task GetAsync(HttpContext context, string id, long started)
    {
        if (!_byId.TryGetValue(id, out byte[]? model))
        {
            return JsonReply.ErrorAsync(context.Response, ApiError.UnknownModel(id), context.RequestAborted);
        }

        OpenAIHeaders.AddTo(context.Response, started);
        return JsonReply.SendAsync(context.Response, StatusCodes.Status200OK, model, context.RequestAborted);
    }

    private static void WriteModel(Utf8JsonWriter w, string id, long created)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id);
        w.WriteString("object"u8, "model"u8);
        w.WriteNumber("created"u8, created);
        w.WriteString("owned_by"u8, "openai"u8);
        w.WriteEndObject();
    }

    private static byte[] Build(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, JsonShapes.WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenMemory.ToArray();
    }
}
