using System.Text;

namespace Portcullis.Tests.Security;

/// <summary>
/// Looks for a secret in bytes: in clear (UTF-8 and UTF-16), in hex (both cases) and in base64 at every alignment
/// (standard and URL-safe), so a secret embedded in a larger encoded blob is found too.
/// </summary>
public static class SecretScanner
{
    public static IReadOnlyList<string> Find(string secret, string where, byte[] content)
    {
        var found = new List<string>();
        foreach ((string encoding, byte[] needle) in Needles(secret))
        {
            if (content.AsSpan().IndexOf(needle) >= 0)
            {
                found.Add($"{where}: {encoding}");
            }
        }

        return found;
    }

    private static IEnumerable<(string, byte[])> Needles(string secret)
    {
        byte[] raw = Encoding.UTF8.GetBytes(secret);
        yield return ("clear", raw);
        yield return ("utf-16", Encoding.Unicode.GetBytes(secret));
        yield return ("hex", Encoding.ASCII.GetBytes(Convert.ToHexString(raw).ToLowerInvariant()));
        yield return ("HEX", Encoding.ASCII.GetBytes(Convert.ToHexString(raw)));
        for (int shift = 0; shift < 3; shift++)
        {
            byte[] shifted = [.. new byte[shift], .. raw];
            string encoded = Convert.ToBase64String(shifted);

            // Drop the characters that depend on the unknown bytes before and after the secret.
            int skip = shift == 0 ? 0 : (shift * 8 + 5) / 6;
            int stableEnd = (shifted.Length * 8) / 6;
            string core = encoded[skip..stableEnd];
            yield return ($"base64(+{shift})", Encoding.ASCII.GetBytes(core));
            yield return ($"base64url(+{shift})", Encoding.ASCII.GetBytes(core.Replace('+', '-').Replace('/', '_')));
        }
    }
}
