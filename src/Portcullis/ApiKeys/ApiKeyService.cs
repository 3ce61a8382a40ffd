using System.Collections.Concurrent;
using Portcullis.Storage;
using Portcullis.Vault;

namespace Portcullis.ApiKeys;

/// <summary>
/// Issues gateway API keys and recognises them. Recognition is a keyed hash and a lookup in a cache of known keys;
/// the cache is cleared on every change so a revoked key stops working at once on this instance.
/// </summary>
internal sealed class ApiKeyService(IGatewayStore store, ApiKeyHasher hasher, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Caller?> _byHash = new(StringComparer.Ordinal);

    public const string DefaultWorkspace = "default";

    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "organisation-service", "organisation-user", "workspace-service", "workspace-user",
    };

    public byte[] HashOf(string key) => hasher.Hash(key);

    /// <summary>Serializes admin-key changes that could leave the gateway without a working admin key.</summary>
    public SemaphoreSlim AdminChanges { get; } = new(1, 1);

    /// <summary>An active, unexpired key holding every scope.</summary>
    public bool IsWorkingAdmin(ApiKeyRecord key) =>
        key.Status == "active" && key.Scopes.Contains(Scopes.All) && (key.ExpiresAt is null || key.ExpiresAt > time.GetUtcNow());

    /// <summary>Returns the active key with this value, or null when it is unknown, disabled or expired.</summary>
    public async ValueTask<Caller?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (presentedKey.Length is 0 or > 512)
        {
            return null;
        }

        byte[] hashBytes = hasher.Hash(presentedKey);
        string hash = Convert.ToHexString(hashBytes);
        if (!_byHash.TryGetValue(hash, out Caller? caller))
        {
            ApiKeyRecord? found = await store.FindApiKeyByHashAsync(hashBytes, cancellationToken);
            caller = found is null ? null : new Caller(found);
            if (_byHash.Count > 100_000)
            {
                _byHash.Clear();
            }

            _byHash[hash] = caller;
        }

        if (caller is null || caller.Record.Status != "active")
        {
            return null;
        }

        return caller.Record.ExpiresAt is { } expires && expires <= time.GetUtcNow() ? null : caller;
    }

    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, string type, IReadOnlyList<string> scopes, string? description, string workspaceId,
        DateTimeOffset? expiresAt, CancellationToken cancellationToken, string? presetKey = null,
        (IReadOnlyList<Limits.UsageLimit> Usage, IReadOnlyList<Limits.RateLimit> Rate)? limits = null)
    {
        string key = presetKey ?? ApiKeyGenerator.NewKey();
        DateTimeOffset now = time.GetUtcNow();
        var record = new ApiKeyRecord
        {
            Id = ApiKeyGenerator.NewId(),
            WorkspaceId = workspaceId,
            Name = name,
            Description = description,
            Type = type,
            Scopes = scopes,
            KeyHash = hasher.Hash(key),
            KeyMask = SecretValue.MaskOf(key),
            Status = "active",
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = expiresAt,
            UsageLimits = limits?.Usage ?? [],
            RateLimits = limits?.Rate ?? [],
        };
        await store.InsertApiKeyAsync(record, cancellationToken);
        _byHash.Clear();
        return (record, key);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the current record and stores it if nobody changed the key in between;
    /// otherwise reads it again and re-applies the change, so concurrent updates never undo each other.
    /// </summary>
    public async Task<ApiKeyRecord?> UpdateAsync(
        string id, Func<ApiKeyRecord, ApiKeyRecord> change, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            ApiKeyRecord? current = await store.GetApiKeyAsync(id, cancellationToken);
            if (current is null)
            {
                return null;
            }

            ApiKeyRecord next = change(current) with { UpdatedAt = NextStamp(current.UpdatedAt) };
            if (await store.UpdateApiKeyAsync(next, current.UpdatedAt, cancellationToken))
            {
                _byHash.Clear();
                return next;
            }
        }

        throw new Admin.AdminProblem(409, "AB07", "The API key kept changing under this update; try again.");
    }

    /// <summary>A new <c>updated_at</c> that always differs from the previous one, which the compare-and-set relies on.</summary>
    internal DateTimeOffset NextStamp(DateTimeOffset previous)
    {
        DateTimeOffset now = time.GetUtcNow();
        return now > previous ? now : previous.AddTicks(1);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        bool deleted = await store.DeleteApiKeyAsync(id, cancellationToken);
        _byHash.Clear();
        return deleted;
    }
}
