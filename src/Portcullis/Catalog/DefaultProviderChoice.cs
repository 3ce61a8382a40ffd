using System.Text.Json;
using Portcullis.Admin;

namespace Portcullis.Catalog;

/// <summary>
/// Portkey's <c>create_default_provider</c> and <c>default_provider_slug</c>, as given on an integration create, on a
/// workspace grant entry or at the top of a grants body. Null means left out: the caller's level decides (a grant
/// entry falls back to the top level, the top level to Portkey's default, true).
/// </summary>
internal sealed record DefaultProviderChoice(bool? Create, string? Slug)
{
    /// <summary>Neither field given.</summary>
    public static readonly DefaultProviderChoice None = new(null, null);

    /// <summary>The two fields' names, for the lists of fields a body accepts.</summary>
    public static readonly string[] Fields = ["create_default_provider", "default_provider_slug"];

    /// <summary>This choice with the fields it leaves out taken from <paramref name="outer"/>.</summary>
    public DefaultProviderChoice Over(DefaultProviderChoice outer) => new(Create ?? outer.Create, Slug ?? outer.Slug);

    /// <summary>Reads the two fields of <paramref name="value"/>; a wrong type or a slug off the pattern is refused.</summary>
    /// <param name="where">Where the object sits, for the message (<c>workspaces[0]</c>); empty for the body.</param>
    public static DefaultProviderChoice Read(JsonElement value, string where)
    {
        string prefix = where.Length == 0 ? "" : where + ".";
        bool? create = value.TryGetProperty("create_default_provider", out JsonElement c) && c.ValueKind != JsonValueKind.Null
            ? c.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? c.GetBoolean()
                : throw AdminProblem.Validation($"{prefix}create_default_provider must be true or false.")
            : null;
        string? slug = AdminJson.String(value, "default_provider_slug");
        if (slug is not null && !IntegrationService.IsSlug(slug))
        {
            throw AdminProblem.Validation($"{prefix}default_provider_slug must match ^[a-zA-Z0-9_-]+$ (at most 100 characters).");
        }

        return new DefaultProviderChoice(create, slug);
    }
}
