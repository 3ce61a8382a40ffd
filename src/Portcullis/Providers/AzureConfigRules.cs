using System.Text.Json;
using Portcullis.Admin;

namespace Portcullis.Providers;

/// <summary>Reads and checks the Azure fields of a virtual key (Portkey's <c>resourceName</c> and <c>deploymentConfig</c>).</summary>
internal static class AzureConfigRules
{
    /// <summary>Parses the Azure fields of an admin body; null when the body has none.</summary>
    public static AzureConfig? Read(JsonElement body)
    {
        string? resource = AdminJson.String(body, "resourceName") ?? AdminJson.String(body, "resource_name");
        string? header = AdminJson.String(body, "auth_header_name");
        var deployments = new List<AzureDeployment>();
        if (body.TryGetProperty("deploymentConfig", out JsonElement list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw AdminProblem.Validation("deploymentConfig must be an array of {alias, deploymentName, apiVersion, is_default}.");
            }

            foreach (JsonElement item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw AdminProblem.Validation("Each deploymentConfig entry must be an object.");
                }

                string? name = AdminJson.String(item, "deploymentName");
                deployments.Add(new AzureDeployment(
                    AdminJson.String(item, "alias") ?? name ?? "",
                    name ?? "",
                    AdminJson.String(item, "apiVersion") ?? "",
                    item.TryGetProperty("is_default", out JsonElement d) && d.ValueKind == JsonValueKind.True,
                    AdminJson.String(item, "aiModelName")));
            }
        }
        else if (AdminJson.String(body, "deploymentName") is { } single)
        {
            deployments.Add(new AzureDeployment(single, single, AdminJson.String(body, "apiVersion") ?? "", true, null));
        }

        return resource is null && header is null && deployments.Count == 0 ? null : new AzureConfig(resource, deployments, header);
    }

    /// <summary>Deployment name and API version required, aliases unique, at most one default.</summary>
    public static AzureConfig Validate(AzureConfig? config, bool hasCustomHost)
    {
        if (config is null || config.Deployments.Count == 0)
        {
            throw AdminProblem.Validation("An azure-openai key needs deploymentConfig: [{alias, deploymentName, apiVersion, is_default}].");
        }

        if (!hasCustomHost && (config.ResourceName is not { Length: > 0 and <= 64 } resource ||
            !resource.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw AdminProblem.Validation("An azure-openai key needs resourceName (letters, digits and dashes), or a custom_host.");
        }

        foreach (AzureDeployment deployment in config.Deployments)
        {
            if (!IsName(deployment.DeploymentName))
            {
                throw AdminProblem.Validation("Each deployment needs a deploymentName (letters, digits, '.', '_' and '-').");
            }

            if (!IsName(deployment.ApiVersion))
            {
                throw AdminProblem.Validation($"Deployment '{deployment.DeploymentName}' needs an apiVersion such as 2024-10-21.");
            }

            if (deployment.Alias.Length is 0 or > 200 || deployment.Alias.Any(char.IsControl))
            {
                throw AdminProblem.Validation("Each deployment alias must be 1 to 200 characters.");
            }
        }

        if (config.Deployments.Select(d => d.Alias).Distinct(StringComparer.Ordinal).Count() != config.Deployments.Count)
        {
            throw AdminProblem.Validation("Deployment aliases must be unique.");
        }

        if (config.Deployments.Count(d => d.IsDefault) > 1)
        {
            throw AdminProblem.Validation("At most one deployment can be the default (is_default).");
        }

        if (config.AuthHeaderName is { } header &&
            (header.Length is 0 or > 100 || !header.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            throw AdminProblem.Validation("auth_header_name must be a header name such as Ocp-Apim-Subscription-Key.");
        }

        return config;
    }

    private static bool IsName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 200 &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
