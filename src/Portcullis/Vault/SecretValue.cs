using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Portcullis.Vault;

/// <summary>
/// A secret in clear, held only for the moment it is needed. It redacts itself in <see cref="ToString"/> and refuses
/// to be serialized, so it cannot reach a log line or a response by accident.
/// </summary>
[JsonConverter(typeof(SecretValueJsonConverter))]
internal sealed class SecretValue
{
    private readonly string _value;

    public SecretValue(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        _value = value;
    }

    /// <summary>The clear value. Call it only where the secret leaves for the upstream.</summary>
    public string Reveal() => _value;

    /// <summary>The last four characters behind a fixed mask, as admin responses show a key.</summary>
    public string Mask() => MaskOf(_value);

    public static string MaskOf(string value) =>
        value.Length <= 8 ? "****" : string.Concat("****", value.AsSpan(value.Length - 4));

    public override string ToString() => "[secret]";
}
