using Portcullis.Vault;

namespace Portcullis.Storage;

/// <summary>
/// Everything the gateway keeps. One implementation per backend (SQLite now); the SQL stays portable. Every method
/// takes a cancellation token; a method that changes several rows does so in one transaction.
/// </summary>
internal interface IGatewayStore
{
    Task InitializeAsync(CancellationToken cancellationToken);

    Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken);

    /// <summary>Sets a setting only when it has no value yet; returns whether this call set it.</summary>
    Task<bool> TryInitializeSettingAsync(string name, string value, CancellationToken cancellationToken);

    Task<IReadOnlyList<MasterKeyCheck>> GetMasterKeyChecksAsync(CancellationToken cancellationToken);

    Task AddMasterKeyCheckAsync(int version, byte[] check, DateTimeOffset at, CancellationToken cancellationToken);

    Task RetireMasterKeyAsync(int version, DateTimeOffset at, CancellationToken cancellationToken);

    Task InsertSecretAsync(SealedSecret secret, DateTimeOffset at, CancellationToken cancellationToken);

    Task<SealedSecret?> GetSecretAsync(string id, CancellationToken cancellationToken);

    /// <summary>Ids of secrets whose data key is wrapped by another version than <paramref name="version"/>.</summary>
    Task<IReadOnlyList<string>> ListSecretIdsNotAtVersionAsync(int version, int limit, CancellationToken cancellationToken);

    /// <summary>Replaces a wrapped data key if the row is still at <paramref name="expectedVersion"/> (compare-and-set).</summary>
    Task<bool> TryRewrapSecretAsync(SealedSecret rewrapped, int expectedVersion, CancellationToken cancellationToken);

    Task<long> CountSecretsAtVersionAsync(int version, CancellationToken cancellationToken);

    Task<IReadOnlyList<SealedSecret>> ListSecretsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a virtual key and the secrets it brings, in one transaction.</summary>
    Task CreateVirtualKeyAsync(
        VirtualKeyRecord record, IReadOnlyList<SealedSecret> newSecrets, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Updates a virtual key if it is still as last read (its <c>updated_at</c> equals <paramref name="expectedUpdatedAt"/>),
    /// replaces or adds the given secrets, refreshes the key mask of every virtual key sharing the secret, and deletes
    /// secrets no virtual key references any more, in one transaction. Returns false when someone else changed it first.
    /// </summary>
    Task<bool> UpdateVirtualKeyAsync(
        VirtualKeyRecord record, IReadOnlyList<SealedSecret> upsertSecrets, DateTimeOffset expectedUpdatedAt,
        CancellationToken cancellationToken);

    /// <summary>Deletes a virtual key, its prices, and its secrets when no other virtual key shares them.</summary>
    Task<bool> DeleteVirtualKeyAsync(string slug, CancellationToken cancellationToken);

    Task<VirtualKeyRecord?> GetVirtualKeyAsync(string slug, CancellationToken cancellationToken);

    Task<Page<VirtualKeyRecord>> ListVirtualKeysAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores an integration, its workspace grants, the secrets it brings and <paramref name="newProviders"/> (its
    /// default providers), in one transaction: a provider slug already taken stores nothing.
    /// </summary>
    Task CreateIntegrationAsync(
        Catalog.IntegrationRecord record, IReadOnlyList<SealedSecret> newSecrets, CancellationToken cancellationToken,
        IReadOnlyList<VirtualKeyRecord>? newProviders = null);

    /// <summary>
    /// Updates an integration and replaces its workspace grants if it is still as last read (compare-and-set on
    /// <c>updated_at</c>), upserting the given secrets, deleting the ones it no longer names and adding
    /// <paramref name="newProviders"/> (default providers of new grants), in one transaction.
    /// </summary>
    Task<bool> UpdateIntegrationAsync(
        Catalog.IntegrationRecord record, IReadOnlyList<SealedSecret> upsertSecrets, DateTimeOffset expectedUpdatedAt,
        CancellationToken cancellationToken, IReadOnlyList<VirtualKeyRecord>? newProviders = null);

    /// <summary>Deletes an integration with its grants, its providers and its secrets, in one transaction.</summary>
    Task<bool> DeleteIntegrationAsync(string id, CancellationToken cancellationToken);

    Task<Catalog.IntegrationRecord?> GetIntegrationAsync(string slug, CancellationToken cancellationToken);

    Task<Catalog.IntegrationRecord?> GetIntegrationByIdAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<Catalog.IntegrationRecord>> ListIntegrationsAsync(CancellationToken cancellationToken);

    /// <summary>The providers (rows of virtual_keys) made from an integration.</summary>
    Task<IReadOnlyList<VirtualKeyRecord>> ListProvidersOfIntegrationAsync(
        string integrationId, CancellationToken cancellationToken);

    Task InsertApiKeyAsync(ApiKeyRecord record, CancellationToken cancellationToken);

    Task<ApiKeyRecord?> GetApiKeyAsync(string id, CancellationToken cancellationToken);

    Task<ApiKeyRecord?> FindApiKeyByHashAsync(byte[] keyHash, CancellationToken cancellationToken);

    Task<ApiKeyRecord?> FindApiKeyByPublicIdAsync(string publicId, CancellationToken cancellationToken);

    /// <summary>
    /// The keys recognised by their hash alone: those without a public id (the earlier format, an operator's own admin
    /// key), and those holding a previous secret from a rotation.
    /// </summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysRecognisedByHashAsync(CancellationToken cancellationToken);

    Task<Page<ApiKeyRecord>> ListApiKeysAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Updates an API key if it is still as last read (compare-and-set on <c>updated_at</c>).</summary>
    Task<bool> UpdateApiKeyAsync(ApiKeyRecord record, DateTimeOffset expectedUpdatedAt, CancellationToken cancellationToken);

    Task<bool> DeleteApiKeyAsync(string id, CancellationToken cancellationToken);

    Task InsertRequestLogsAsync(IReadOnlyList<RequestLogRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch of usage-ledger steps (request-log rows, what pending rows hold, budget states) in one
    /// transaction. A row already completed is never overwritten.
    /// </summary>
    Task WriteLedgerAsync(IReadOnlyList<Usage.LedgerEntry> entries, CancellationToken cancellationToken);

    Task<IReadOnlyList<Budgets.BudgetSnapshot>> ListBudgetsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// After a crash: charges every budget what the requests left pending held, and closes their rows as
    /// <c>interrupted</c>. Returns how many rows it closed.
    /// </summary>
    Task<int> SettleInterruptedUsageAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task<Page<RequestLogRecord>> ListRequestLogsAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>The records <paramref name="filter"/> selects, newest first, and how many it selects in all.</summary>
    Task<Page<RequestLogRecord>> ListRequestLogsAsync(
        RequestLogFilter filter, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Sums tokens, requests and cost of the records <paramref name="filter"/> selects, one row per group; records
    /// still pending are not in the rows, only counted in <see cref="UsageSummary.PendingRequests"/>.
    /// </summary>
    Task<UsageSummary> SummarizeUsageAsync(UsageGrouping grouping, RequestLogFilter filter, CancellationToken cancellationToken);

    Task AppendAuditAsync(AuditRecord record, CancellationToken cancellationToken);

    Task<Page<AuditRecord>> ListAuditAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Every price an admin set, organisation-wide and per virtual key.</summary>
    Task<IReadOnlyList<ModelPriceRecord>> ListModelPricesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts or replaces the price of (scope, model). Returns false, storing nothing, when the scope names a virtual
    /// key that does not exist (checked in the same statement, so a concurrent delete cannot leave an orphan).
    /// </summary>
    Task<bool> UpsertModelPriceAsync(ModelPriceRecord record, CancellationToken cancellationToken);

    Task<bool> DeleteModelPriceAsync(string scope, string model, CancellationToken cancellationToken);

    /// <summary>Stores a workspace unless one with its id exists; returns whether this call stored it.</summary>
    Task<bool> InsertWorkspaceAsync(WorkspaceRecord record, CancellationToken cancellationToken);

    Task<WorkspaceRecord?> GetWorkspaceAsync(string id, CancellationToken cancellationToken);

    /// <summary>Workspaces oldest first; <paramref name="onlyId"/> narrows to one, <paramref name="nameContains"/> by name.</summary>
    Task<Page<WorkspaceRecord>> ListWorkspacesAsync(
        string? onlyId, string? nameContains, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Updates a workspace if it is still as last read (compare-and-set on <c>updated_at</c>).</summary>
    Task<bool> UpdateWorkspaceAsync(WorkspaceRecord record, DateTimeOffset expectedUpdatedAt, CancellationToken cancellationToken);

    /// <summary>The virtual keys (providers included) and API keys a workspace holds.</summary>
    Task<WorkspaceContents> GetWorkspaceContentsAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a workspace in one transaction. While it holds keys and <paramref name="cascade"/> is false nothing is
    /// deleted and the contents are returned; with cascade its virtual keys, their prices and secrets, and its API keys
    /// go with it (request logs stay). Returns what it held, or null when there is no such workspace.
    /// </summary>
    Task<WorkspaceContents?> DeleteWorkspaceAsync(string id, bool cascade, CancellationToken cancellationToken);

    /// <summary>Virtual keys of one workspace, or of all when <paramref name="workspaceId"/> is null.</summary>
    Task<Page<VirtualKeyRecord>> ListVirtualKeysAsync(
        string? workspaceId, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>API keys of one workspace (or all), and only <c>workspace-*</c> types when asked.</summary>
    Task<Page<ApiKeyRecord>> ListApiKeysAsync(
        string? workspaceId, bool workspaceTypesOnly, int offset, int limit, CancellationToken cancellationToken);
}
