using System.Text.Json;
using Portcullis.Admin;

namespace Portcullis.ApiKeys;

/// <summary>
/// Reads the Portcullis extension fields <c>allowed_virtual_keys</c> and <c>allowed_models</c> of an API key body: each
/// an array of 1 to 256-character strings, at most <see cref="MaxEntries"/>, or null (every one allowed).
/// </summary>
internal static class ApiKeyAllowListsInput
{
    public const string VirtualKeysField = "allowed_virtual_keys";
    public const string ModelsField = "allowed_models";
    public const int MaxEntries = 100;

    /// <summary>Both lists, absent or null meaning no limit (as on create).</summary>
    public static ApiKeyAllowLists Read(JsonElement body) => new(List(body, VirtualKeysField), List(body, ModelsField));

    /// <summary>
    /// The change an update asks for: a field that is present replaces the list (null clears it), an absent one keeps it.
    /// </summary>
    public static Func<ApiKeyAllowLists, ApiKeyAllowLists> Change(JsonElement body)
    {
        bool slugsGiven = AdminJson.Has(body, VirtualKeysField);
        bool modelsGiven = AdminJson.Has(body, ModelsField);
        ApiKeyAllowLists given = Read(body);
        return current => new(
            slugsGiven ? given.VirtualKeys : current.VirtualKeys, modelsGiven ? given.Models : current.Models);
    }

    private static IReadOnlyList<string>? List(JsonElement body, string name)
    {
        IReadOnlyList<string>? values = AdminJson.StringList(body, name);
        if (values is null)
        {
            return null;
        }

        if (values.Count > MaxEntries)
        {
            throw AdminProblem.Validation($"{name} holds at most {MaxEntries} entries.");
        }

        if (values.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > 256 || v.Any(char.IsControl)))
        {
            throw AdminProblem.Validation($"{name} must hold non-empty strings of at most 256 characters.");
        }

        return values.Distinct(StringComparer.Ordinal).ToArray();
    }
}
