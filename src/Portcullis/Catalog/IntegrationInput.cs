using System.Text.Json;
using Portcullis.Admin;
using Portcullis.Providers;

namespace Portcullis.Catalog;

/// <summary>
/// The fields of an integration create or update body (Portkey's names). On update a field not given is left as it
/// is; <c>configurations</c>, when given, replaces the whole configuration. A field Portcullis does not know, at the
/// top or inside <c>configurations</c>, is a validation error, so a misspelt field cannot drop a stored value.
/// </summary>
internal sealed class IntegrationInput
{
    public string? Name { get; init; }
    public string? AiProviderId { get; init; }
    public string? Slug { get; init; }
    public string? Key { get; init; }
    public string? Description { get; init; }
    public bool DescriptionGiven { get; init; }
    public string? WorkspaceId { get; init; }
    public bool ConfigurationsGiven { get; init; }
    public string? OpenAiOrganization { get; init; }
    public string? OpenAiProject { get; init; }
    public AzureConfig? Azure { get; init; }
    public string? CustomHost { get; init; }
    public IReadOnlyDictionary<string, string>? CustomHeaders { get; init; }

    /// <summary>
    /// <c>create_default_provider</c> and <c>default_provider_slug</c>: on create, whether and under which slug a
    /// workspace integration gets its default provider; refused on update.
    /// </summary>
    public DefaultProviderChoice DefaultProvider { get; init; } = DefaultProviderChoice.None;

    /// <summary>The <c>configurations</c> fields given that belong to one provider only (azure_*, openai_*).</summary>
    public IReadOnlyList<string> ProviderFields { get; init; } = [];

    private static readonly string[] BodyFields =
    [
        "name", "ai_provider_id", "slug", "key", "description", "workspace_id", "configurations",
        "create_default_provider", "default_provider_slug",
    ];

    private static readonly string[] ConfigurationFields =
    [
        "custom_host", "custom_headers", "openai_organization", "openai_project",
        "azure_auth_mode", "azure_resource_name", "azure_deployment_config",
    ];

    private static readonly string[] DeploymentFields =
        ["alias", "azure_deployment_name", "azure_api_version", "azure_model_slug", "is_default"];

    /// <summary>
    /// Reads a body; an unknown field, a field of the wrong type or an unsupported Azure auth mode is a validation
    /// error.
    /// </summary>
    public static IntegrationInput Read(JsonElement body)
    {
        CatalogFields.RequireKnown(body, "", BodyFields);
        JsonElement? config = null;
        if (body.TryGetProperty("configurations", out JsonElement c) && c.ValueKind != JsonValueKind.Null)
        {
            config = c.ValueKind == JsonValueKind.Object
                ? c
                : throw AdminProblem.Validation("configurations must be an object.");
            CatalogFields.RequireKnown(c, "configurations", ConfigurationFields);
        }

        return new IntegrationInput
        {
            Name = AdminJson.String(body, "name"),
            AiProviderId = AdminJson.String(body, "ai_provider_id"),
            Slug = AdminJson.String(body, "slug"),
            Key = AdminJson.String(body, "key"),
            Description = AdminJson.String(body, "description"),
            DescriptionGiven = AdminJson.Has(body, "description"),
            WorkspaceId = AdminJson.String(body, "workspace_id"),
            DefaultProvider = DefaultProviderChoice.Read(body, ""),
            ConfigurationsGiven = config is not null,
            OpenAiOrganization = config is { } o1 ? AdminJson.String(o1, "openai_organization") : null,
            OpenAiProject = config is { } o2 ? AdminJson.String(o2, "openai_project") : null,
            Azure = config is { } a ? ReadAzure(a) : null,
            CustomHost = config is { } h ? AdminJson.String(h, "custom_host") : null,
            CustomHeaders = config is { } m ? AdminJson.StringMap(m, "custom_headers") : null,
            ProviderFields = config is { } p
                ? p.EnumerateObject().Select(f => f.Name).Where(IsProviderField).ToArray()
                : [],
        };
    }

    private static bool IsProviderField(string name) =>
        name.StartsWith("azure_", StringComparison.Ordinal) || name.StartsWith("openai_", StringComparison.Ordinal);

    // Portkey's Azure fields mapped onto the virtual keys' AzureConfig; only key authentication is supported.
    private static AzureConfig? ReadAzure(JsonElement config)
    {
        string? mode = AdminJson.String(config, "azure_auth_mode");
        if (mode is not (null or "default"))
        {
            throw AdminProblem.Validation("azure_auth_mode: only 'default' (an API key) is supported.");
        }

        string? resource = AdminJson.String(config, "azure_resource_name");
        var deployments = new List<AzureDeployment>();
        if (config.TryGetProperty("azure_deployment_config", out JsonElement list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.Object))
            {
                throw AdminProblem.Validation(
                    "azure_deployment_config must be an array of {alias, azure_deployment_name, azure_api_version, " +
                    "azure_model_slug, is_default}.");
            }

            int index = 0;
            foreach (JsonElement item in list.EnumerateArray())
            {
                CatalogFields.RequireKnown(item, $"configurations.azure_deployment_config[{index++}]", DeploymentFields);
                string? name = AdminJson.String(item, "azure_deployment_name");
                string? model = AdminJson.String(item, "azure_model_slug");
                deployments.Add(new AzureDeployment(
                    AdminJson.String(item, "alias") ?? model ?? name ?? "",
                    name ?? "",
                    AdminJson.String(item, "azure_api_version") ?? "",
                    item.TryGetProperty("is_default", out JsonElement d) && d.ValueKind == JsonValueKind.True,
                    model));
            }
        }

        return resource is null && deployments.Count == 0 ? null : new AzureConfig(resource, deployments, null);
    }

    public override string ToString() => $"IntegrationInput({Name}, {AiProviderId})";
}
