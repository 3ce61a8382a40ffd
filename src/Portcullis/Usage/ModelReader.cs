using System.Text.Json;

namespace Portcullis.Usage;

/// <summary>Reads the top-level <c>model</c> an upstream reports (Azure names the model behind a deployment there).</summary>
internal static class ModelReader
{
    public static string? TryRead(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    string model = reader.GetString()!;
                    return model.Length <= 256 ? model : model[..256];
                }

                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or not valid text: no model to report.
        }

        return null;
    }
}
