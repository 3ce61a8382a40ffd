namespace Portcullis.Providers;

/// <summary>One Azure OpenAI deployment a virtual key can reach, selected by its alias (the caller's <c>model</c>).</summary>
internal sealed record AzureDeployment(string Alias, string DeploymentName, string ApiVersion, bool IsDefault, string? ModelName);
