namespace Portcullis.MockUpstream.OpenAI;

/// <summary>
/// Azure OpenAI's paths: <c>/openai/deployments/{deployment}/{operation}?api-version=...</c> with the key in the
/// <c>api-key</c> header (or the header an API Management front door names). Answers as OpenAI does after that.
/// </summary>
internal static class AzureRoutes
{
    public const string Prefix = "/openai/deployments/";

    /// <summary>Splits an Azure path into deployment and operation; false when the path is not one.</summary>
    public static bool TryParse(string path, out string deployment, out string operation)
    {
        deployment = operation = "";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string rest = path[Prefix.Length..];
        int slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        deployment = rest[..slash];
        operation = rest[(slash + 1)..];
        return true;
    }

    public static ApiError MissingApiVersion() => new(
        400, "Missing API version. Add an api-version query parameter.", "invalid_request_error", "api-version", "MissingApiVersion");

    public static ApiError DeploymentNotFound(string deployment) => new(
        404,
        $"The API deployment '{deployment}' for this resource does not exist. If you created the deployment within the "
        + "last 5 minutes, please wait a moment and try again.",
        "invalid_request_error",
        null,
        "DeploymentNotFound");

    public static ApiError AccessDenied() => new(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an "
        + "active subscription and use a correct regional API endpoint for your resource.",
        "invalid_request_error",
        null,
        "401");
}
