using Portcullis.ApiKeys;
using Portcullis.Forwarding;
using Portcullis.Providers;

namespace Portcullis.Governance;

/// <summary>
/// Holds a request to what its API key is limited to, after the target is known: the virtual key (or provider) it
/// reaches, and the model it asks for as the client named it (without <c>@slug/</c>). An Azure request is judged by
/// the deployment that answers it: its alias or its model name must be on the list.
/// </summary>
internal static class ApiKeyAllowList
{
    /// <summary>Returns the refusal, or null when the key may make this request.</summary>
    public static GatewayError? Check(
        Caller caller, Target target, string operation, string? model, AzureDeployment? deployment = null)
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

        bool allowed = deployment is not null
            ? caller.AllowsModel(deployment.Alias) || (deployment.ModelName is { } name && caller.AllowsModel(name))
            : !string.IsNullOrEmpty(model) && caller.AllowsModel(model);
        return allowed ? null : Catalog.ModelAccess.NotAllowed(model, "API key");
    }

    private static string Shorten(string value) => value.Length > 100 ? value[..100] + "..." : value;
}
