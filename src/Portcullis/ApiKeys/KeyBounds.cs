using Portcullis.Admin;
using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>
/// A key hands out and changes keys only within its own bounds, so no key can free itself or mint a freer one: a key
/// that carries budgets or rate limits manages no keys; a key with allow-lists gives only subsets of them; a key that
/// expires gives only keys that expire no later. A key never changes its own limits, allow-lists, expiry, scopes or
/// status; another admin does.
/// </summary>
internal static class KeyBounds
{
    /// <summary>Throws 403 when the actor carries budgets or rate limits of its own.</summary>
    public static void RequireUnmetered(Caller actor)
    {
        if (actor.Record.UsageLimits.Count + actor.Record.RateLimits.Count > 0)
        {
            throw Forbidden("A key with its own budgets or rate limits cannot create or change API keys; use an admin key " +
                "without them.");
        }
    }

    /// <summary>The allow-lists a key made or changed by <paramref name="actor"/> ends up with: the actor's when none
    /// is asked for, and a refusal when the asked ones reach beyond the actor's.</summary>
    public static ApiKeyAllowLists Within(Caller actor, ApiKeyAllowLists requested) => new(
        Subset(actor.AllowedVirtualKeys, requested.VirtualKeys, "allowed_virtual_keys"),
        Subset(actor.AllowedModels, requested.Models, "allowed_models"));

    /// <summary>The expiry of a key made or changed by <paramref name="actor"/>: no later than the actor's own.</summary>
    public static DateTimeOffset? Within(Caller actor, DateTimeOffset? requested)
    {
        if (actor.Record.ExpiresAt is not { } own)
        {
            return requested;
        }

        if (requested is { } asked && asked > own)
        {
            throw Forbidden("expires_at cannot be later than the expiry of the key making the change.");
        }

        return requested ?? own;
    }

    /// <summary>Throws 403 when a key tries to change what bounds itself.</summary>
    public static void RequireNotSelf(Caller actor, ApiKeyRecord target, bool changesBounds)
    {
        if (changesBounds && target.Id == actor.KeyId)
        {
            throw Forbidden("A key cannot change its own scopes, status, expiry, budgets, rate limits or allow-lists; " +
                "another admin key can.");
        }
    }

    /// <summary>
    /// Throws 403 unless <paramref name="target"/> is the actor itself or lies within the actor's bounds: a rotation
    /// hands out the target's new secret, so it must not give the actor a freer key than its own.
    /// </summary>
    public static void RequireCovers(Caller actor, ApiKeyRecord target)
    {
        if (target.Id == actor.KeyId)
        {
            return;
        }

        RequireUnmetered(actor);
        bool listsCovered = Covers(actor.AllowedVirtualKeys, target.AllowedVirtualKeys) &&
            Covers(actor.AllowedModels, target.AllowedModels);
        bool expiryCovered = actor.Record.ExpiresAt is not { } own || (target.ExpiresAt is { } theirs && theirs <= own);
        if (!listsCovered || !expiryCovered)
        {
            throw Forbidden("This key cannot rotate a key that may do more than it may itself (allow-lists or expiry).");
        }
    }

    private static bool Covers(IReadOnlyList<string>? own, IReadOnlyList<string>? theirs) =>
        own is null || (theirs is not null && theirs.All(item => own.Contains(item, StringComparer.Ordinal)));

    private static IReadOnlyList<string>? Subset(IReadOnlyList<string>? own, IReadOnlyList<string>? asked, string field)
    {
        if (own is null)
        {
            return asked;
        }

        if (asked is null)
        {
            return own;
        }

        string? outside = asked.FirstOrDefault(item => !own.Contains(item, StringComparer.Ordinal));
        return outside is null
            ? asked
            : throw Forbidden($"{field} cannot include '{outside}', which the key making the change may not use itself.");
    }

    private static AdminProblem Forbidden(string message) => new(403, "AB03", message);
}
