using System.Security.Cryptography;

namespace Portcullis.ApiKeys;

/// <summary>Makes gateway API keys: a recognisable <c>pcl-</c> prefix and 240 random bits in base62.</summary>
internal static class ApiKeyGenerator
{
    public const string Prefix = "pcl-";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string NewKey() => Prefix + RandomNumberGenerator.GetString(Alphabet, 40);

    public static string NewId() => Guid.CreateVersion7().ToString();
}
