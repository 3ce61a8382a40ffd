using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portcullis.Forwarding;
using Portcullis.Providers;
using Portcullis.VirtualKeys;

namespace Portcullis.Catalog;

/// <summary>
/// The data plane's model allow-lists: a request for a model its provider's integration does not allow is refused
/// (412 <c>model_not_allowed_error</c>) before anything is reserved, and <c>GET /v1/models</c> lists only what the
/// caller may use.
/// </summary>
internal static class ModelAccess
{
    /// <summary>
    /// The refusal for a request naming <paramref name="model"/>; null when the model is allowed. An Azure request is
    /// judged by the <paramref name="deployment"/> that will answer it, whatever name the client sent.
    /// </summary>
    public static GatewayError? Refusal(Target target, string operation, string? model, AzureDeployment? deployment = null)
    {
        if (operation == "models" || target.VirtualKey?.Integration is not { } integration)
        {
            return null;
        }

        bool allowed = deployment is null
            ? integration.Allows(model)
            : integration.AllowsDeployment(deployment.Alias, deployment.ModelName);
        if (allowed)
        {
            return null;
        }

        return NotAllowed(model, "integration");
    }

    /// <summary>The reference's error: 412, <c>model_not_allowed_error</c>, code null.</summary>
    /// <param name="owner">What restricts the models: <c>integration</c> or <c>API key</c>.</param>
    public static GatewayError NotAllowed(string? model, string owner)
    {
        string shown = string.IsNullOrEmpty(model) ? "(none)" : model.Length <= 200 ? model : model[..200] + "...";
        return new GatewayError(412, "model_not_allowed_error", null, $"Model {shown} is not allowed for this {owner}");
    }

    /// <summary>
    /// The answer to <c>GET /v1/models</c> when a list restricts the models: the integration's enabled models, cut to
    /// <paramref name="allowedByApiKey"/> when the calling key has its own list, in OpenAI's list shape. Null when
    /// nothing restricts them: the upstream's own list is relayed then.
    /// </summary>
    public static byte[]? RestrictedList(ResolvedVirtualKey? key, IReadOnlyCollection<string>? allowedByApiKey)
    {
        IReadOnlyList<string>? models = key?.Integration?.EnabledModels;
        if (allowedByApiKey is not null)
        {
            models = (models ?? allowedByApiKey.Where(m => key?.Integration?.Allows(m) != false).ToArray())
                .Where(allowedByApiKey.Contains)
                .Order(StringComparer.Ordinal)
                .ToArray();
        }

        if (models is null)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(256 + models.Count * 80);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            foreach (string model in models)
            {
                w.WriteStartObject();
                w.WriteString("id", model);
                w.WriteString("object", "model");
                w.WriteNumber("created", 0);
                w.WriteString("owned_by", key?.Record.Provider ?? "system");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The upstream's model list without the models <paramref name="integration"/> does not allow; the answer as it
    /// came when it is not a list of models.
    /// </summary>
    public static ReadOnlyMemory<byte> WithoutDisallowed(ReadOnlyMemory<byte> answer, IntegrationDetails integration)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(answer.Span);
        }
        catch (JsonException)
        {
            return answer;
        }

        if (root is not JsonObject list || list["data"] is not JsonArray data)
        {
            return answer;
        }

        for (int i = data.Count - 1; i >= 0; i--)
        {
            if (data[i] is JsonObject model && model["id"] is JsonValue id && id.TryGetValue(out string? name) &&
                !integration.Allows(name))
            {
                data.RemoveAt(i);
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(list);
    }
}
