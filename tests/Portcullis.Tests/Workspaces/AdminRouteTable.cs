using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portcullis.Admin;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>Every endpoint the running gateway mapped, read from its endpoint data source (not from a list kept here).</summary>
internal static class AdminRouteTable
{
    /// <summary>The data plane and health: every other /v1 route is an admin route and must declare its scope.</summary>
    public static readonly IReadOnlySet<string> DataPlane = new HashSet<string>(StringComparer.Ordinal)
    {
        "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/v1/messages", "/v1/health",
    };

    public sealed record Route(string Method, string Template, AdminScope? Scope)
    {
        public bool HasParameters => Template.Contains('{');

        public string Key => $"{Method} {Template}";

        public override string ToString() => Key;
    }

    public static IReadOnlyList<Route> All(GatewayFixture gateway)
    {
        EndpointDataSource source = gateway.Gateway.App.Services.GetRequiredService<EndpointDataSource>();
        var routes = new List<Route>();
        foreach (RouteEndpoint endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            string template = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (!template.StartsWith("/v1/", StringComparison.Ordinal))
            {
                continue;
            }

            IReadOnlyList<string> methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            foreach (string method in methods)
            {
                routes.Add(new Route(method, template, endpoint.Metadata.GetMetadata<AdminScope>()));
            }
        }

        return routes;
    }

    /// <summary>The template with each parameter filled from <paramref name="values"/>, or with a value no object has.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string>? values = null)
    {
        var text = new System.Text.StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            if (template[i] != '{')
            {
                text.Append(template[i++]);
                continue;
            }

            int end = template.IndexOf('}', i);
            string name = template[(i + 1)..end].Split(':')[0];
            text.Append(values is not null && values.TryGetValue(name, out string? value) ? value : name switch
            {
                "type" => "workspace",
                "subType" => "service",
                _ => "none-" + name.ToLowerInvariant(),
            });
            i = end + 1;
        }

        return text.ToString();
    }
}
