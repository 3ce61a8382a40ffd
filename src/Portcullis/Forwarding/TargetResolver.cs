using Microsoft.AspNetCore.Http;
using Portcullis.ApiKeys;
using Portcullis.Providers;
using Portcullis.VirtualKeys;

namespace Portcullis.Forwarding;

/// <summary>
/// Picks the target of a request, in Portkey's order: <c>x-portkey-provider: @slug</c>, then
/// <c>x-portkey-virtual-key</c>, then a body model <c>@slug/model</c>, then <c>x-portkey-provider: id</c> for
/// pass-through. A body model of the form <c>@slug/model</c> is always forwarded as the bare model. A slug in a
/// workspace the caller cannot reach is answered exactly as an unknown slug.
/// </summary>
internal sealed class TargetResolver(VirtualKeyService virtualKeys, ProviderCatalog providers, AddressPolicy addresses)
{
    public async ValueTask<Target> ResolveAsync(
        HttpRequest request, string? bodyModel, string? providerCredential, Caller caller,
        CancellationToken cancellationToken)
    {
        string? providerHeader = Header(request, "x-portkey-provider");
        string? virtualKeyHeader = Header(request, "x-portkey-virtual-key");
        string? bareModel = null;
        string? modelSlug = null;
        if (TrySplitCatalogModel(bodyModel, out string slugFromModel, out string model))
        {
            modelSlug = slugFromModel;
            bareModel = model;
        }

        // 1. The slug, from the first place that names one.
        string? slug = null;
        if (providerHeader is ['@', ..])
        {
            int slash = providerHeader.IndexOf('/');
            slug = slash < 0 ? providerHeader[1..] : providerHeader[1..slash];
        }
        else if (virtualKeyHeader is not null)
        {
            slug = virtualKeyHeader;
        }
        else if (modelSlug is not null)
        {
            slug = modelSlug;
        }

        if (slug is not null)
        {
            ResolvedVirtualKey? key = slug.Length == 0 ? null : await virtualKeys.ResolveAsync(slug, cancellationToken);
            return key is null || !caller.CanReach(key.Record.WorkspaceId)
                ? Target.Refused(GatewayError.BadRequest(
                    $"Following keys are not valid: {(slug.Length > 100 ? slug[..100] + "..." : slug)}", "invalid_virtual_key"))
                : new Target(key.Record.Provider, key.BaseUrlFor(bareModel ?? bodyModel), key, null, bareModel, null);
        }

        // 2. Pass-through: a provider id with the caller's own provider key.
        if (providerHeader is not null)
        {
            if (!providers.IsKnown(providerHeader))
            {
                return Target.Refused(GatewayError.BadRequest($"Invalid provider passed: {providerHeader}", "invalid_provider"));
            }

            if (string.IsNullOrEmpty(providerCredential))
            {
                return Target.Refused(GatewayError.BadRequest(
                    "Pass-through needs the provider key in Authorization and the gateway key in x-portkey-api-key."));
            }

            Uri? baseUrl = providers.BaseUrlOf(providerHeader);
            string? customHost = Header(request, "x-portkey-custom-host");
            if (customHost is not null)
            {
                if (!Uri.TryCreate(customHost, UriKind.Absolute, out Uri? custom) || custom.Scheme is not ("http" or "https") ||
                    !addresses.IsAllowedHost(custom.Host))
                {
                    return Target.Refused(GatewayError.BadRequest(
                        "Invalid custom host: x-portkey-custom-host is accepted only for hosts the operator allow-lists."));
                }

                baseUrl = new Uri(custom.GetLeftPart(UriPartial.Path).TrimEnd('/'));
            }

            if (baseUrl is null)
            {
                return Target.Refused(GatewayError.BadRequest(
                    $"Provider '{providerHeader}' is self-hosted: use a virtual key with a custom host."));
            }

            return new Target(providers.Canonical(providerHeader), baseUrl, null, providerCredential, bareModel, null);
        }

        return Target.Refused(GatewayError.BadRequest(
            "No target: send x-portkey-virtual-key: <slug>, x-portkey-provider: @<slug>, or a model of the form " +
            "@<slug>/<model>.", "missing_target"));
    }

    /// <summary>
    /// A model is a catalog reference when it starts with <c>@</c>, holds a slash, and is not a Workers AI name
    /// (<c>@cf/</c>, <c>@hf/</c>). Everything after the first slash is the model, later slashes included.
    /// </summary>
    public static bool TrySplitCatalogModel(string? value, out string slug, out string model)
    {
        slug = model = "";
        if (value is not ['@', ..] || value.StartsWith("@cf/", StringComparison.Ordinal) ||
            value.StartsWith("@hf/", StringComparison.Ordinal))
        {
            return false;
        }

        int slash = value.IndexOf('/');
        if (slash < 2)
        {
            return false;
        }

        slug = value[1..slash];
        model = value[(slash + 1)..];
        return true;
    }

    private static string? Header(HttpRequest request, string name)
    {
        string? value = request.Headers[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }
}
