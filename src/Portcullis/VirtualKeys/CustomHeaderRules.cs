using Portcullis.Admin;

namespace Portcullis.VirtualKeys;

/// <summary>Custom headers must be valid HTTP header names and values, and may not hijack hop-by-hop or framing headers.</summary>
internal static class CustomHeaderRules
{
    private static readonly HashSet<string> Forbidden = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
        "proxy-connection", "content-type",
    };

    public static IReadOnlyDictionary<string, string> Validate(IReadOnlyDictionary<string, string> headers)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string value) in headers)
        {
            if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c)))
            {
                throw AdminProblem.Validation($"custom_headers: '{name}' is not a valid header name.");
            }

            if (Forbidden.Contains(name) || name.StartsWith("x-portkey-", StringComparison.OrdinalIgnoreCase))
            {
                throw AdminProblem.Validation($"custom_headers: '{name}' cannot be set by a virtual key.");
            }

            if (string.IsNullOrEmpty(value) || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw AdminProblem.Validation($"custom_headers: the value of '{name}' is empty or holds a line break.");
            }

            result[name] = value;
        }

        return result;
    }
}
