using Portcullis.MockUpstream.Pipeline;

namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// The default behaviour's authentication: a key from <c>Authorization: Bearer</c> (or a configured header) that is
/// in the accepted set, or any non-empty key while the set is empty.
/// </summary>
internal sealed class ApiKeyCheck(AcceptedKeySet accepted, string? headerName)
{
    private const int VisiblePrefix = 3;
    private const int VisibleSuffix = 4;

    public int AcceptedCount => accepted.Count;

    public bool Accepts(string key) => accepted.Contains(key);

    /// <summary>Null when the request may pass; otherwise the 401 to answer with.</summary>
    public ApiError? Check(HttpRequest request)
    {
        string? key = headerName is null ? ReadBearer(request) : request.Headers[headerName].ToString().Trim();
        if (string.IsNullOrEmpty(key))
        {
            return ApiError.MissingKey();
        }

        if (accepted.Count == 0 || accepted.Contains(key))
        {
            return null;
        }

        return ApiError.IncorrectKey(Mask(key));
    }

    /// <summary>Like OpenAI: a few leading and the last four characters, stars between; short keys all stars.</summary>
    internal static string Mask(string key)
    {
        if (key.Length < 12)
        {
            return new string('*', key.Length);
        }

        return string.Concat(
            key.AsSpan(0, VisiblePrefix),
            new string('*', key.Length - VisiblePrefix - VisibleSuffix),
            key.AsSpan(key.Length - VisibleSuffix));
    }

    private static string? ReadBearer(HttpRequest request)
    {
        string? authorization = request.Headers.Authorization;
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return authorization[Scheme.Length..].Trim();
    }
}
