namespace Portcullis.Providers;

/// <summary>
/// The Azure OpenAI part of a virtual key: the resource (or a custom host such as an API Management front door), the
/// deployments by alias, and the header that carries the key (<c>api-key</c> unless the front door wants another).
/// </summary>
internal sealed record AzureConfig(string? ResourceName, IReadOnlyList<AzureDeployment> Deployments, string? AuthHeaderName)
{
    public const string ProviderId = "azure-openai";

    public string KeyHeader => AuthHeaderName ?? "api-key";

    /// <summary>The deployment for <paramref name="alias"/>: an exact alias match, else the default, else none.</summary>
    public AzureDeployment? Select(string? alias)
    {
        if (!string.IsNullOrEmpty(alias))
        {
            foreach (AzureDeployment deployment in Deployments)
            {
                if (string.Equals(deployment.Alias, alias, StringComparison.Ordinal))
                {
                    return deployment;
                }
            }
        }

        foreach (AzureDeployment deployment in Deployments)
        {
            if (deployment.IsDefault)
            {
                return deployment;
            }
        }

        return null;
    }
}
