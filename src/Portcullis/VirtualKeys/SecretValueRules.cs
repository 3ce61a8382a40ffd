using Portcullis.Admin;

namespace Portcullis.VirtualKeys;

/// <summary>
/// What a stored credential may contain: it ends up in an HTTP header, so only visible ASCII (and inner spaces for
/// header values) within a sane length. Anything else would break or smuggle the upstream request.
/// </summary>
internal static class SecretValueRules
{
    public const int MaxLength = 8192;

    public static string ProviderKey(string? value, string field = "key")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminProblem.Validation($"{field} must not be empty.");
        }

        if (value.Length > MaxLength)
        {
            throw AdminProblem.Validation($"{field} is longer than {MaxLength} characters.");
        }

        foreach (char c in value)
        {
            if (c is < '!' or > '~')
            {
                throw AdminProblem.Validation($"{field} may hold only visible ASCII characters (no spaces or line breaks).");
            }
        }

        return value;
    }

    public static string HeaderValue(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxLength)
        {
            throw AdminProblem.Validation($"custom_headers: the value of '{name}' is empty or longer than {MaxLength} characters.");
        }

        foreach (char c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw AdminProblem.Validation(
                    $"custom_headers: the value of '{name}' may hold only visible ASCII and spaces (no line break or control character).");
            }
        }

        return value.Trim();
    }
}
