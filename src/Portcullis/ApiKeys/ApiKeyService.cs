using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>
/// Issues gateway API keys and recognises them. A key of the current format (<see cref="ApiKeyFormat"/>) is checked
/// for shape and checksum, found by its public id (cached) and compared by keyed hash in constant time. Any other
/// string (the operator's own admin key, keys of the earlier format) is recognised only through an in-memory map of
/// hashes, so a malformed key never costs a database lookup. Caches are dropped on every change, so a
/// revoked key stops working at once on this instance.
/// </summary>
internal sealed class ApiKeyService(IGatewayStore store, ApiKeyHasher hasher, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Caller?> _byPublicId = new(StringComparer.Ordinal);

    private Task<FrozenDictionary<string, Caller>>? _byHash;

    /// <summary>The transition period of a rotation when the request names none: one hour.</summary>
    public static readonly TimeSpan DefaultTransition = TimeSpan.FromHours(1);

    /// <summary>The shortest transition the reference allows (30 minutes).</summary>
    public static readonly TimeSpan MinimumTransition = TimeSpan.FromMilliseconds(1_800_000);

    /// <summary>The longest transition Portcullis allows (30 days): an old secret should not live on indefinitely.</summary>
    public static readonly TimeSpan MaximumTransition = TimeSpan.FromDays(30);

    public static readonly IReadOnlySet<string> Types = new HashSet<string>(StringComparer.Ordinal)
    {
        "organisation-service", "organisation-user", "workspace-service", "workspace-user",
    };

    public byte[] HashOf(string key) => hasher.Hash(key);

    /// <summary>Serializes admin-key changes that could leave the gateway without a working admin key.</summary>
    public SemaphoreSlim AdminChanges { get; } = new(1, 1);

    /// <summary>An active, unexpired organisation key holding every scope.</summary>
    public bool IsWorkingAdmin(ApiKeyRecord key) =>
        key.Status == "active" && key.Type.StartsWith("organisation-", StringComparison.Ordinal) &&
        key.Scopes.Contains(Scopes.All) && (key.ExpiresAt is null || key.ExpiresAt > time.GetUtcNow());

    /// <summary>Loads the map of keys recognised by hash alone; the gateway calls it once before taking traffic.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken) => _ = await ByHashAsync(cancellationToken);

    /// <summary>
    /// Returns the active, unexpired key this value belongs to, or null: unknown, malformed, wrong, disabled and expired
    /// keys are all just null, so every caller answers them the same way.
    /// </summary>
    public async ValueTask<Caller?> AuthenticateAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (presentedKey.Length is 0 or > 512)
        {
            return null;
        }

        // 1. Find the candidate: by public id for the current format, by hash in memory for anything else.
        byte[] hash = hasher.Hash(presentedKey);
        Caller? caller;
        if (ApiKeyFormat.TryParse(presentedKey, out string publicId))
        {
            caller = await ByPublicIdAsync(publicId, cancellationToken);
        }
        else
        {
            FrozenDictionary<string, Caller> byHash = await ByHashAsync(cancellationToken);
            caller = byHash.GetValueOrDefault(Convert.ToHexString(hash));
        }

        // 2. Compare the secret (the current one, or the one a rotation replaced while its transition lasts), then
        //    the key's state.
        DateTimeOffset now = time.GetUtcNow();
        if (caller is null || !SecretMatches(caller.Record, hash, now) || caller.Record.Status != "active")
        {
            return null;
        }

        return caller.Record.ExpiresAt is { } expires && expires <= now ? null : caller;
    }

    /// <summary>
    /// Whether <paramref name="value"/> is, or looks like, a Portcullis key: the current format by its shape, or a key
    /// known by hash alone (the operator's key, earlier-format keys). Nothing here touches the database.
    /// </summary>
    public async ValueTask<bool> IsGatewayKeyAsync(string value, CancellationToken cancellationToken)
    {
        if (ApiKeyFormat.TryParse(value, out _))
        {
            return true;
        }

        if (value.Length is 0 or > 512)
        {
            return false;
        }

        FrozenDictionary<string, Caller> byHash = await ByHashAsync(cancellationToken);
        return byHash.ContainsKey(Convert.ToHexString(hasher.Hash(value)));
    }

    private static bool SecretMatches(ApiKeyRecord key, byte[] hash, DateTimeOffset now)
    {
        bool current = CryptographicOperations.FixedTimeEquals(hash, key.KeyHash);
        bool previous = key.PreviousKeyHash is { } old && CryptographicOperations.FixedTimeEquals(hash, old);
        return current || (previous && key.PreviousKeyExpiresAt > now);
    }

    private async ValueTask<Caller?> ByPublicIdAsync(string publicId, CancellationToken cancellationToken)
    {
        if (_byPublicId.TryGetValue(publicId, out Caller? cached))
        {
            return cached;
        }

        ApiKeyRecord? found = await store.FindApiKeyByPublicIdAsync(publicId, cancellationToken);
        Caller? caller = found is null ? null : new Caller(found);
        if (_byPublicId.Count > 100_000)
        {
            _byPublicId.Clear();
        }

        _byPublicId[publicId] = caller;
        return caller;
    }

    // The map is loaded once and dropped on every change; a failed load is not kept, so the next request tries again.
    private async Task<FrozenDictionary<string, Caller>> ByHashAsync(CancellationToken cancellationToken)
    {
        Task<FrozenDictionary<string, Caller>>? loading = Volatile.Read(ref _byHash);
        if (loading is null)
        {
            var started = LoadByHashAsync();
            loading = Interlocked.CompareExchange(ref _byHash, started, null) ?? started;
        }

        try
        {
            return await loading.WaitAsync(cancellationToken);
        }
        catch (Exception) when (loading.IsFaulted)
        {
            _ = Interlocked.CompareExchange(ref _byHash, null, loading);
            throw;
        }
    }

    private async Task<FrozenDictionary<string, Caller>> LoadByHashAsync()
    {
        IReadOnlyList<ApiKeyRecord> keys = await store.ListApiKeysRecognisedByHashAsync(CancellationToken.None);
        var byHash = new Dictionary<string, Caller>(StringComparer.Ordinal);
        foreach (ApiKeyRecord key in keys)
        {
            var caller = new Caller(key);
            if (key.PublicId is null)
            {
                byHash[Convert.ToHexString(key.KeyHash)] = caller;
            }

            if (key.PreviousKeyHash is { } previous)
            {
                byHash.TryAdd(Convert.ToHexString(previous), caller);
            }
        }

        return byHash.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Forgets every cached key, so the next request reads the store again.</summary>
    private void Invalidate()
    {
        _byPublicId.Clear();
        Volatile.Write(ref _byHash, null);
    }

    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(
        string name, string type, IReadOnlyList<string> scopes, string? description, string workspaceId,
        DateTimeOffset? expiresAt, CancellationToken cancellationToken, string? presetKey = null,
        (IReadOnlyList<Limits.UsageLimit> Usage, IReadOnlyList<Limits.RateLimit> Rate)? limits = null,
        ApiKeyAllowLists? allowed = null)
    {
        // A preset key (the operator's PORTCULLIS_ADMIN_KEY) keeps its own text; it has a public id only if it happens
        // to be in the current format.
        string key = presetKey ?? ApiKeyFormat.NewKey(ApiKeyFormat.NewPublicId());
        string? publicId = ApiKeyFormat.TryParse(key, out string parsed) ? parsed : null;
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
            KeyMask = ApiKeyFormat.MaskOf(key),
            PublicId = publicId,
            Status = "active",
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = expiresAt,
            UsageLimits = limits?.Usage ?? [],
            RateLimits = limits?.Rate ?? [],
            AllowedVirtualKeys = allowed?.VirtualKeys,
            AllowedModels = allowed?.Models,
        };
        await store.InsertApiKeyAsync(record, cancellationToken);
        Invalidate();
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
                Invalidate();
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
        Invalidate();
        return deleted;
    }

    /// <summary>
    /// Gives the key a new secret under the same id (and the same public id, budgets and counters). The secret it had
    /// keeps working for <paramref name="transition"/>; a secret an earlier rotation left in its transition stops at
    /// once, since only one previous secret is kept. <paramref name="check"/> runs on the current record before the
    /// change (to refuse it). Returns null when the key does not exist.
    /// </summary>
    public async Task<(ApiKeyRecord Record, string Key)?> RotateAsync(
        string id, TimeSpan transition, Action<ApiKeyRecord> check, CancellationToken cancellationToken)
    {
        string key = "";
        ApiKeyRecord? rotated = await UpdateAsync(id, current =>
        {
            check(current);
            string publicId = current.PublicId ?? ApiKeyFormat.NewPublicId();
            key = ApiKeyFormat.NewKey(publicId);
            return current with
            {
                PublicId = publicId,
                KeyHash = hasher.Hash(key),
                KeyMask = ApiKeyFormat.MaskOf(key),
                // Without a transition the old secret ends at once: nothing of it is kept.
                PreviousKeyHash = transition > TimeSpan.Zero ? current.KeyHash : null,
                PreviousKeyExpiresAt = transition > TimeSpan.Zero ? time.GetUtcNow() + transition : null,
            };
        }, cancellationToken);
        return rotated is null ? null : (rotated, key);
    }
}
