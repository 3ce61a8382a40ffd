namespace Portcullis.Budgets;

/// <summary>
/// What a budget or rate limit belongs to: a virtual key (or provider), a gateway API key, a workspace, or an
/// integration's grant to one workspace, by its stable id, with a label for messages (never a secret).
/// </summary>
internal readonly record struct BudgetOwner(string Kind, string Id, string Label)
{
    public const string VirtualKey = "virtual_key";
    public const string ApiKey = "api_key";
    public const string Workspace = "workspace";

    /// <summary>An integration's limits in one workspace; the id is <c>{integrationId}:{workspaceId}</c>.</summary>
    public const string IntegrationWorkspace = "integration_workspace";

    public static BudgetOwner ForVirtualKey(string id, string slug) => new(VirtualKey, id, slug);

    public static BudgetOwner ForApiKey(string id) => new(ApiKey, id, id);

    public static BudgetOwner ForWorkspace(string id) => new(Workspace, id, id);

    public static BudgetOwner ForIntegration(string integrationId, string slug, string workspaceId) =>
        new(IntegrationWorkspace, integrationId + ":" + workspaceId, slug);

    /// <summary>The prefix of the counter keys of this owner (<c>vk:{id}</c>, <c>ak:{id}</c>, <c>ws:{id}</c>, <c>iw:{id}</c>).</summary>
    public string CounterKey => Kind switch
    {
        VirtualKey => "vk:",
        ApiKey => "ak:",
        Workspace => "ws:",
        _ => "iw:",
    } + Id;

    public string Describe() => Kind switch
    {
        VirtualKey => $"virtual key '{Label}'",
        ApiKey => $"API key '{Label}'",
        Workspace => $"workspace '{Label}'",
        _ => $"integration '{Label}' in workspace '{Id[(Id.IndexOf(':') + 1)..]}'",
    };

    /// <summary>The reference's error type when a budget of this owner refuses a request.</summary>
    public string ExhaustErrorType => Kind switch
    {
        VirtualKey => "virtual_key_exhaust_error",
        ApiKey => "api_key_exhaust_error",
        Workspace => "workspace_exhaust_error",
        _ => "integration_exhaust_error",
    };

    /// <summary>The reference's error type when a rate limit of this owner refuses a request.</summary>
    public string RateErrorType => Kind switch
    {
        VirtualKey => "virtual_key_rate_limit_error",
        ApiKey => "api_key_rate_limit_error",
        Workspace => "workspace_rate_limit_error",
        _ => "integration_rate_limit_error",
    };
}
