using System.Text.Json;
using Portcullis.Admin;

namespace Portcullis.Catalog;

/// <summary>
/// Refuses fields the catalog does not know. Parts of a catalog body replace what is stored, so a misspelt field
/// ignored in silence could drop a stored value (a custom host) while the answer says 200; naming it is safer.
/// </summary>
internal static class CatalogFields
{
    /// <summary>Throws a validation problem naming the first field of <paramref name="value"/> not known here.</summary>
    /// <param name="where">Where the object sits, for the message (<c>configurations</c>, <c>models[0]</c>); empty for
    /// the body.</param>
    public static void RequireKnown(JsonElement value, string where, params ReadOnlySpan<string> known)
    {
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                string name = where.Length == 0 ? property.Name : $"{where}.{property.Name}";
                string accepted = string.Join(", ", known.ToArray());
                throw AdminProblem.Validation($"Unknown or unsupported field '{Shown(name)}'; accepted here: {accepted}.");
            }
        }
    }

    // A field name is the client's own text: shown cut to a sensible length, without control characters.
    private static string Shown(string name)
    {
        string clean = new(name.Select(c => char.IsControl(c) ? '?' : c).Take(100).ToArray());
        return clean.Length < name.Length ? clean + "..." : clean;
    }
}
