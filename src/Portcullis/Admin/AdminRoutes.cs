using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portcullis.Admin;

/// <summary>How an admin route declares what it needs: the scope metadata and the filter that enforces it.</summary>
internal static class AdminRoutes
{
    public static RouteHandlerBuilder WithScope(this RouteHandlerBuilder builder, string scope, bool organisationOnly = false)
    {
        var required = new AdminScope(scope, organisationOnly);
        return builder.WithMetadata(required).AddEndpointFilter(new AdminAuthFilter(required));
    }

    /// <summary>The key <see cref="AdminAuthFilter"/> authenticated for this admin call.</summary>
    public static ApiKeys.Caller Actor(this HttpContext context) =>
        (ApiKeys.Caller)context.Items[AdminAuthFilter.CallerItem]!;
}
