using System.Security.Cryptography;
using System.Text;

namespace Portcullis.VirtualKeys;

/// <summary>Slugs come from the name plus random characters, never from the secret: <c>team-a-openai-x7k2q9</c>.</summary>
internal static class SlugGenerator
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A slug from <paramref name="name"/>, after <paramref name="prefix"/> when given (<c>ws-team-a-x7k2q9</c>).</summary>
    public static string FromName(string name, string? prefix = null)
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

        string middle = stem.ToString().Trim('-');
        string suffix = RandomNumberGenerator.GetString(Alphabet, 6);
        string head = prefix ?? (middle.Length == 0 ? "vk" : "");
        return string.Join('-', ((string[])[head, middle, suffix]).Where(part => part.Length > 0));
    }
}
