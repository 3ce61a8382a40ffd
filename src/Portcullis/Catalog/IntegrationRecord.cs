using Portcullis.Providers;

namespace Portcullis.Catalog;

/// <summary>
/// An integration as stored: one provider credential and its configuration, held once for the organisation
/// (<see cref="WorkspaceId"/> null) or for one workspace. Secrets are referenced by id, never held here.
/// </summary>
internal sealed record IntegrationRecord
{
    public required string Id { get; init; }
    public required string Slug { get; init; }

    /// <summary>The workspace that owns it; null for an organisation-level integration.</summary>
    public string? WorkspaceId { get; init; }
    public required string Name { get; init; }
    public required string AiProviderId { get; init; }
    public string? Description { get; init; }

    /// <summary><c>active</c> or <c>archived</c>; providers of an archived integration stop working.</summary>
    public required string Status { get; init; }
    public string? SecretId { get; init; }
    public string KeyMask { get; init; } = "";
    public string? CustomHost { get; init; }

    /// <summary>Names of the custom headers (their values are sealed in <see cref="CustomHeadersSecretId"/>).</summary>
    public IReadOnlyList<string> CustomHeaderNames { get; init; } = [];
    public string? CustomHeadersSecretId { get; init; }

    /// <summary>OpenAI organisation and project; sent upstream as headers (sealed with the custom headers).</summary>
    public string? OpenAiOrganization { get; init; }
    public string? OpenAiProject { get; init; }

    /// <summary>Azure OpenAI resource and deployments, for <c>azure-openai</c> integrations.</summary>
    public AzureConfig? Azure { get; init; }

    /// <summary>When true (the default) every model is allowed except those listed as disabled.</summary>
    public bool AllowAllModels { get; init; } = true;
    public IReadOnlyList<IntegrationModel> Models { get; init; } = [];

    /// <summary>Workspace access with per-workspace limits; <see cref="IntegrationGrant.GlobalWorkspace"/> for all.</summary>
    public IReadOnlyList<IntegrationGrant> Grants { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The scope of the key and header secrets in the vault's associated data.</summary>
    public string SecretWorkspace => WorkspaceId ?? OrganisationScope;

    public const string OrganisationScope = "organisation";
}
