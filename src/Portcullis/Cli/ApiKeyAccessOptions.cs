using System.CommandLine;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// The options of <c>api-keys create</c> and <c>update</c> that limit what a key may use and until when:
/// <c>--allowed-models</c>, <c>--allowed-virtual-keys</c> (comma-separated), <c>--expires-at</c>, and on update the
/// <c>--clear-...</c> switches that lift a limit again.
/// </summary>
internal sealed class ApiKeyAccessOptions
{
    private readonly Option<string?> _models = new("--allowed-models")
    {
        Description = "Comma-separated models the key may use (as clients name them, without @slug/); default all.",
    };

    private readonly Option<string?> _virtualKeys = new("--allowed-virtual-keys")
    {
        Description = "Comma-separated virtual-key or provider slugs the key may use; default all (and pass-through).",
    };

    private readonly Option<string?> _expiresAt = new("--expires-at")
    {
        Description = "When the key stops working, ISO 8601 (2030-01-31T00:00:00Z); on update, 'never' removes it.",
    };

    private readonly Option<bool> _clearModels = new("--clear-allowed-models") { Description = "Allow every model again." };

    private readonly Option<bool> _clearVirtualKeys = new("--clear-allowed-virtual-keys")
    {
        Description = "Allow every virtual key again.",
    };

    private readonly bool _update;

    public ApiKeyAccessOptions(bool update) => _update = update;

    public void AddTo(Command command)
    {
        command.Options.Add(_models);
        command.Options.Add(_virtualKeys);
        command.Options.Add(_expiresAt);
        if (_update)
        {
            command.Options.Add(_clearModels);
            command.Options.Add(_clearVirtualKeys);
        }
    }

    /// <summary>Adds the fields the options name to <paramref name="body"/>; the gateway validates them.</summary>
    public void AddToBody(ParseResult result, JsonObject body)
    {
        Add(result, body, "allowed_models", _models, _clearModels);
        Add(result, body, "allowed_virtual_keys", _virtualKeys, _clearVirtualKeys);
        if (result.GetValue(_expiresAt) is { } expires)
        {
            body["expires_at"] = _update && expires == "never" ? null : expires;
        }
    }

    private void Add(ParseResult result, JsonObject body, string field, Option<string?> list, Option<bool> clear)
    {
        if (_update && result.GetValue(clear))
        {
            body[field] = null;
        }
        else if (result.GetValue(list) is { } text)
        {
            body[field] = new JsonArray(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => (JsonNode)v).ToArray());
        }
    }
}
