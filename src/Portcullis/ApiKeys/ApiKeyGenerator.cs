namespace Portcullis.ApiKeys;

/// <summary>
/// Ids of stored API keys. The keys themselves are made by <see cref="ApiKeyFormat"/>; keys of the earlier format
/// (<c>pcl-</c> and 40 base62 characters, no public id) are still recognised, never issued.
/// </summary>
internal static class ApiKeyGenerator
{
    public static string NewId() => Guid.CreateVersion7().ToString();
}
