using System.Security.Cryptography;
using System.Text;

namespace Portcullis.VirtualKeys;

/// <summary>Slugs come from the name plus random characters, never from the secret: <c>team-a-openai-x7k2q9</c>.</summary>
internal static class SlugGenerator
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string FromName(string name)
    {
        var stem = new StringBuilder();
        foreach (char c in name.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                stem.Append(c);
            }
            else if (stem.Length > 0 && stem[^1] != '-')
            {
                stem.Append('-');
            }

            if (stem.Length >= 24)
            {
                break;
            }
        }

        string prefix = stem.ToString().Trim('-');
        string suffix = RandomNumberGenerator.GetString(Alphabet, 6);
        return prefix.Length == 0 ? "vk-" + suffix : prefix + "-" + suffix;
    }
}
