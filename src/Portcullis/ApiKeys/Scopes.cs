namespace Portcullis.ApiKeys;

/// <summary>
/// The scopes an API key can carry, with Portkey's names where Portkey has one. <see cref="All"/> (<c>*</c>) grants
/// everything and is what the first admin key gets.
/// </summary>
internal static class Scopes
{
    public const string All = "*";
    public const string CompletionsWrite = "completions.write";

    /// <summary>
    /// Portcullis's own scope: lets a key send requests in pass-through mode, with the caller's own provider key in
    /// <c>Authorization</c> instead of a virtual key.
    /// </summary>
    public const string ProvidersPassthrough = "providers.passthrough";
    public const string VirtualKeysCreate = "virtual_keys.create";
    public const string VirtualKeysRead = "virtual_keys.read";
    public const string VirtualKeysList = "virtual_keys.list";
    public const string VirtualKeysUpdate = "virtual_keys.update";
    public const string VirtualKeysDelete = "virtual_keys.delete";
    public const string ApiKeysCreate = "api_keys.create";
    public const string ApiKeysRead = "api_keys.read";
    public const string ApiKeysList = "api_keys.list";
    public const string ApiKeysUpdate = "api_keys.update";
    public const string ApiKeysDelete = "api_keys.delete";
    public const string LogsList = "logs.list";
    public const string AuditLogsList = "audit_logs.list";

    /// <summary>Portcullis's own scope: read the usage summary (tokens and cost per key, model or day).</summary>
    public const string UsageRead = "usage.read";
    public const string VaultManage = "vault.manage";

    /// <summary>Portcullis's own scopes: read the pricing catalog, and set or remove prices.</summary>
    public const string PricingRead = "pricing.read";
    public const string PricingWrite = "pricing.write";

    /// <summary>Portkey's workspace scopes. Create and delete are for organisation keys only.</summary>
    public const string WorkspacesCreate = "workspaces.create";
    public const string WorkspacesRead = "workspaces.read";
    public const string WorkspacesList = "workspaces.list";
    public const string WorkspacesUpdate = "workspaces.update";
    public const string WorkspacesDelete = "workspaces.delete";

    public const string ProvidersCreate = "providers.create";
    public const string ProvidersRead = "providers.read";
    public const string ProvidersList = "providers.list";
    public const string ProvidersUpdate = "providers.update";
    public const string ProvidersDelete = "providers.delete";

    /// <summary>Integrations that belong to a workspace; every integration route needs the matching one.</summary>
    public const string WorkspaceIntegrationsCreate = "workspace_integrations.create";
    public const string WorkspaceIntegrationsRead = "workspace_integrations.read";
    public const string WorkspaceIntegrationsList = "workspace_integrations.list";
    public const string WorkspaceIntegrationsUpdate = "workspace_integrations.update";
    public const string WorkspaceIntegrationsDelete = "workspace_integrations.delete";

    /// <summary>Organisation-level integrations: needed in addition, and only organisation keys may hold them.</summary>
    public const string OrganisationIntegrationsCreate = "organisation_integrations.create";
    public const string OrganisationIntegrationsRead = "organisation_integrations.read";
    public const string OrganisationIntegrationsList = "organisation_integrations.list";
    public const string OrganisationIntegrationsUpdate = "organisation_integrations.update";
    public const string OrganisationIntegrationsDelete = "organisation_integrations.delete";

    /// <summary>
    /// Portkey's scopes for features Portcullis does not have yet (saved configs, prompts, log exports, copying
    /// virtual keys): accepted, so keys made as Portkey's docs show can be created, and granting nothing.
    /// </summary>
    public static readonly IReadOnlySet<string> ForLaterFeatures = new HashSet<string>(StringComparer.Ordinal)
    {
        "configs.create", "configs.read", "configs.list", "configs.update", "configs.delete",
        "prompts.create", "prompts.read", "prompts.list", "prompts.update", "prompts.delete", "prompts.render",
        "logs.view", "logs.export", "virtual_keys.copy", "virtual_keys.duplicate",
    };

    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        All, CompletionsWrite, ProvidersPassthrough, VirtualKeysCreate, VirtualKeysRead, VirtualKeysList,
        VirtualKeysUpdate, VirtualKeysDelete, ApiKeysCreate, ApiKeysRead, ApiKeysList, ApiKeysUpdate, ApiKeysDelete,
        LogsList, AuditLogsList, UsageRead, VaultManage, "completions.read", PricingRead, PricingWrite,
        WorkspacesCreate, WorkspacesRead, WorkspacesList, WorkspacesUpdate, WorkspacesDelete,
        ProvidersCreate, ProvidersRead, ProvidersList, ProvidersUpdate, ProvidersDelete,
        WorkspaceIntegrationsCreate, WorkspaceIntegrationsRead, WorkspaceIntegrationsList, WorkspaceIntegrationsUpdate,
        WorkspaceIntegrationsDelete, OrganisationIntegrationsCreate, OrganisationIntegrationsRead,
        OrganisationIntegrationsList, OrganisationIntegrationsUpdate, OrganisationIntegrationsDelete,
    }.Union(ForLaterFeatures).ToHashSet(StringComparer.Ordinal);
}
