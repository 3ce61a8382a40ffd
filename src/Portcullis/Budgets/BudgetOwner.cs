namespace Portcullis.Budgets;

/// <summary>
/// What a budget belongs to: a virtual key or a gateway API key, by its stable id, with a label for messages (the
/// virtual key's slug, or the API key's id; never a secret).
/// </summary>
internal readonly record struct BudgetOwner(string Kind, string Id, string Label)
{
    public const string VirtualKey = "virtual_key";
    public const string ApiKey = "api_key";

    public static BudgetOwner ForVirtualKey(string id, string slug) => new(VirtualKey, id, slug);

    public static BudgetOwner ForApiKey(string id) => new(ApiKey, id, id);

    /// <summary>The prefix of the counter keys of this owner (<c>vk:{id}</c> or <c>ak:{id}</c>).</summary>
    public string CounterKey => (Kind == VirtualKey ? "vk:" : "ak:") + Id;

    public string Describe() => Kind == VirtualKey ? $"virtual key '{Label}'" : $"API key '{Label}'";
}
