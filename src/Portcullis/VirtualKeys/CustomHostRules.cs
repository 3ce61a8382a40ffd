using Portcullis.Admin;

namespace Portcullis.VirtualKeys;

/// <summary>What a stored custom host may look like. Where it may connect to is checked again at connection time.</summary>
internal static class CustomHostRules
{
    public static string Normalize(string value)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
        {
            throw AdminProblem.Validation("custom_host must be an http(s) URL, such as http://127.0.0.1:8000/v1.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw AdminProblem.Validation("custom_host must not carry credentials, a query or a fragment.");
        }

        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }
}
