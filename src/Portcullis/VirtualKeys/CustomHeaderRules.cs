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
        if (headers.Count > 50)
        {
            throw AdminProblem.Validation("custom_headers holds more than 50 headers.");
        }

        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string value) in headers)
        {
            if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c)))
            {
                throw AdminProblem.Validation($"custom_headers: '{name}' is not a valid header name.");
            }

            if (Forbidden.Contains(name) || name.StartsWith("x-portkey-", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("x-portcullis-", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("content-", StringComparison.OrdinalIgnoreCase) || name.Length > 256)
            {
                throw AdminProblem.Validation($"custom_headers: '{name}' cannot be set by a virtual key.");
            }

            result[name] = SecretValueRules.HeaderValue(name, value);
        }

        return result;
    }
}
