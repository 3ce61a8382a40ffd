using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Portcullis.Storage;

namespace Portcullis.Admin;

/// <summary>
/// Reads the filter shared by <c>GET /v1/logs</c> and <c>GET /v1/admin/usage</c> from the query string:
/// <c>virtual_key</c>, <c>api_key_id</c>, <c>model</c>, <c>workspace_id</c> (exact matches), <c>from</c> (inclusive) and <c>to</c>
/// (exclusive) as ISO 8601. An empty value counts as not given.
/// </summary>
internal static class RequestLogQuery
{
    /// <summary>The longest value a filter takes: model names are stored cut to 256 characters.</summary>
    private const int MaxValueLength = 256;

    public static RequestLogFilter Read(HttpRequest request)
    {
        DateTimeOffset? from = Value(request, "from") is { } f ? AdminJson.ParseTime(f, "from") : null;
        DateTimeOffset? to = Value(request, "to") is { } t ? AdminJson.ParseTime(t, "to") : null;
        if (from >= to)
        {
            throw AdminProblem.Validation("from must be earlier than to (from is inclusive, to exclusive).");
        }

        return new RequestLogFilter
        {
            VirtualKeySlug = Value(request, "virtual_key"),
            ApiKeyId = Value(request, "api_key_id"),
            Model = Value(request, "model"),
            From = from,
            To = to,
            IncludePending = Value(request, "include_pending") is { } pending && (pending == "true" ? true
                : pending == "false" ? false
                : throw AdminProblem.Validation("include_pending must be true or false.")),
        };
    }

    /// <summary>
    /// <see cref="Read"/>, narrowed to what the caller may see: a workspace key reads its own workspace's records only;
    /// an organisation key reads all, or the workspace named by <c>workspace_id</c>.
    /// </summary>
    public static async Task<RequestLogFilter> ReadScopedAsync(
        HttpRequest request, ApiKeys.Caller caller, Workspaces.WorkspaceAccess access, CancellationToken cancellationToken)
    {
        RequestLogFilter filter = Read(request);
        string? requested = Value(request, "workspace_id");

        // Records outlive their workspace: an organisation key may still read those of a deleted one.
        string? workspace = caller.IsOrganisation
            ? requested
            : await access.ListScopeAsync(caller, requested, cancellationToken);
        return filter with { WorkspaceId = workspace };
    }

    /// <summary>A single query parameter, or null when absent or empty; given twice or overlong, a validation error.</summary>
    public static string? Value(HttpRequest request, string name)
    {
        StringValues values = request.Query[name];
        if (values.Count > 1)
        {
            throw AdminProblem.Validation($"{name} is given more than once.");
        }

        string? value = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return value.Length <= MaxValueLength && !value.Any(char.IsControl)
            ? value
            : throw AdminProblem.Validation($"{name} must be at most {MaxValueLength} characters, without control characters.");
    }
}
