using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portcullis.Vault;

/// <summary>Makes any attempt to serialize a <see cref="SecretValue"/> fail loudly instead of leaking it.</summary>
internal sealed class SecretValueJsonConverter : JsonConverter<SecretValue>
{
    public override SecretValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Secrets are never deserialized implicitly.");

    public override void Write(Utf8JsonWriter writer, SecretValue value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Secrets are never serialized.");
}
