using Portcullis.ApiKeys;
using Portcullis.Forwarding;

namespace Portcullis.Governance;

/// <summary>
/// Holds a request to what its API key is limited to, after the target is known: the virtual key (or provider) it
/// reaches, and the model it asks for as the client named it (without <c>@slug/</c>; an Azure alias as sent).
/// </summary>
internal static class ApiKeyAllowList
{
    /// <summary>Returns the refusal, or null when the key may make this request.</summary>
    public static GatewayError? Check(Caller caller, Target target, string operation, string? model)
    {
        // 1. Virtual keys: with a list set, pass-through (no virtual key at all) is outside it too.
        if (caller.AllowedVirtualKeys is not null)
        {
            string? slug = target.VirtualKey?.Record.Slug;
            if (slug is null)
            {
                return GatewayError.Forbidden("This API key may use only its allowed virtual keys, not pass-through.");
            }

            if (!caller.AllowsVirtualKey(slug))
            {
                return GatewayError.Forbidden($"This API key may not use the virtual key '{Shorten(slug)}'.");
            }
        }

        // 2. Models: a listing names none; any other request without a model could reach any, so it is refused.
        if (caller.AllowedModels is null || (operation == "models" && model is null))
        {
            return null;
        }

        return model is not null && caller.AllowsModel(model)
            ? null
            : new GatewayError(412, "model_not_allowed_error", null,
                $"Model {(model is null ? "(none)" : Shorten(model))} is not allowed for this API key");
    }

    private static string Shorten(string value) => value.Length > 100 ? value[..100] + "..." : value;
}
