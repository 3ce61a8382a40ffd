using System.Text.Encodings.Web;
using System.Text.Json;
using Portcullis.Vault;

namespace Portcullis.Forwarding;

/// <summary>
/// The secrets one request sent upstream (provider key, custom header values). Anything the upstream sends back is
/// passed through <see cref="Redact"/> before the client sees it, so an upstream that echoes a key cannot leak it.
/// </summary>
internal readonly struct SecretRedactor
{
    private readonly List<string>? _secrets;

    private SecretRedactor(List<string> secrets) => _secrets = secrets;

    public static SecretRedactor For(string? providerKey, IReadOnlyDictionary<string, string>? customHeaders)
    {
        var secrets = new List<string>(1 + (customHeaders?.Count ?? 0));
        if (!string.IsNullOrEmpty(providerKey))
        {
            secrets.Add(providerKey);
        }

        if (customHeaders is not null)
        {
            foreach (string value in customHeaders.Values)
            {
                // Very short values ("1", "yes") are not secrets worth masking and would mangle text.
                if (value.Length >= 8)
                {
                    secrets.Add(value);
                }
            }
        }

        // A translated answer is JSON written anew: a secret with '+', '<', '>', '&', quotes or backslashes comes back
        // escaped ("\u002B"), so the escaped spellings are masked too.
        int raw = secrets.Count;
        for (int i = 0; i < raw; i++)
        {
            foreach (JavaScriptEncoder encoder in (ReadOnlySpan<JavaScriptEncoder>)
                [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping])
            {
                string escaped = JsonEncodedText.Encode(secrets[i], encoder).ToString();
                if (escaped != secrets[i] && !secrets.Contains(escaped))
                {
                    secrets.Add(escaped);
                }
            }
        }

        return new SecretRedactor(secrets);
    }

    /// <summary>The secrets themselves, for a <see cref="RedactingStream"/> over the response body.</summary>
    public IReadOnlyList<string> Secrets => _secrets ?? [];

    public string Redact(string value)
    {
        if (_secrets is null)
        {
            return value;
        }

        foreach (string secret in _secrets)
        {
            if (value.Contains(secret, StringComparison.Ordinal))
            {
                value = value.Replace(secret, SecretValue.MaskOf(secret), StringComparison.Ordinal);
            }

            // "Bearer sk-..." in a header: the raw secret without its scheme may appear too.
            int space = secret.IndexOf(' ');
            if (space > 0 && space < secret.Length - 8)
            {
                string bare = secret[(space + 1)..];
                value = value.Replace(bare, SecretValue.MaskOf(bare), StringComparison.Ordinal);
            }
        }

        return value;
    }

    public override string ToString() => $"SecretRedactor({_secrets?.Count ?? 0} secrets)";
}
