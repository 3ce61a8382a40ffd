using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.ApiKeys;

namespace Portcullis.Admin;

/// <summary>Authenticates the admin key of a control-plane call, checks the route's scope, and writes refusals.</summary>
internal sealed class AdminAuthFilter(AdminScope required) : IEndpointFilter
{
    public const string CallerItem = "portcullis.caller";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        string? key = http.Request.Headers["x-portkey-api-key"];
        if (string.IsNullOrWhiteSpace(key))
        {
            // As on the data plane: "Bearer <key>", or the bare key.
            string? authorization = http.Request.Headers.Authorization;
            key = authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? authorization[7..].Trim()
                : authorization?.Trim();
        }

        ApiKeyService apiKeys = http.RequestServices.GetRequiredService<ApiKeyService>();
        Caller? caller = string.IsNullOrWhiteSpace(key) ? null : await apiKeys.AuthenticateAsync(key.Trim(), http.RequestAborted);
        if (caller is null)
        {
            return Problem(new AdminProblem(401, "AB05", "Unauthorised Request: send an admin key in x-portkey-api-key."));
        }

        if (!caller.Has(required.Scope))
        {
            return Problem(new AdminProblem(403, "AB03", $"Forbidden: this API key lacks the {required.Scope} scope."));
        }

        if (required.OrganisationOnly && !caller.IsOrganisation)
        {
            return Problem(new AdminProblem(403, "AB03", "Forbidden: only organisation keys may call this route."));
        }

        http.Items[CallerItem] = caller;
        try
        {
            return await next(context);
        }
        catch (AdminProblem problem)
        {
            return Problem(problem);
        }
    }

    public static IResult Problem(AdminProblem problem) => Results.Json(
        new Dictionary<string, object?>
        {
            ["success"] = false,
            ["data"] = new { message = problem.Message },
            ["error"] = new Dictionary<string, object?>
            {
                ["message"] = problem.Message,
                ["type"] = problem.Status switch
                {
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    409 => "conflict_error",
                    _ => "invalid_request_error",
                },
                ["param"] = null,
                ["code"] = problem.Code,
            },
        },
        statusCode: problem.Status);
}
