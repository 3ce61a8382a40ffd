using Microsoft.Extensions.Logging;
using Portcullis.Diagnostics;
using Portcullis.Storage;

namespace Portcullis.Vault;

/// <summary>
/// The vault: opens the master-key ring against the database at start-up (failing closed), seals and unseals secrets,
/// and rotates the master key online.
/// </summary>
internal sealed class VaultService
{
    private readonly IMasterKeySource _source;
    private readonly IGatewayStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _rotationGate = new(1, 1);

    private VaultService(
        IMasterKeySource source, IGatewayStore store, TimeProvider time, ILogger logger, EnvelopeSealer sealer)
    {
        _source = source;
        _store = store;
        _time = time;
        _logger = logger;
        Sealer = sealer;
    }

    public EnvelopeSealer Sealer { get; }

    public int ActiveVersion => Sealer.Ring.Active.Version;

    /// <summary>
    /// Loads the master keys and proves they open this database. A key file source with no file on a fresh database
    /// creates one; every other mismatch throws <see cref="VaultConfigurationException"/> and start-up stops.
    /// </summary>
    public static async Task<VaultService> OpenAsync(
        IMasterKeySource source, IGatewayStore store, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        IReadOnlyList<MasterKeyCheck> checks = await store.GetMasterKeyChecksAsync(cancellationToken);
        IReadOnlyList<(int Version, byte[] Key)> loaded = await source.LoadAsync(cancellationToken);

        // 1. A fresh database with a key file source and no file yet: create the first master key.
        if (loaded.Count == 0)
        {
            if (checks.Count > 0 || !source.CanStoreNewVersions)
            {
                throw new VaultConfigurationException(
                    $"No master key found at {source.Description}, but this database was sealed with master key " +
                    $"version {checks.Max(c => c.Version)}. Restore the key file or set PORTCULLIS_MASTER_KEY; " +
                    "without the key the stored secrets cannot be opened.");
            }

            MasterKey first = MasterKey.Generate(1);
            await source.AddVersionAsync(1, first.Bytes.ToArray(), cancellationToken);
            GatewayLog.MasterKeyFileCreated(logger, source.Description);
            loaded = [(1, first.Bytes.ToArray())];
        }

        var ring = new MasterKeyRing(loaded.Select(k => new MasterKey(k.Version, k.Key)));

        // 2. Every version the database still depends on must be present and must be the same key.
        foreach (MasterKeyCheck check in checks.Where(c => c.RetiredAt is null))
        {
            if (!ring.TryGet(check.Version, out MasterKey key))
            {
                throw new VaultConfigurationException(
                    $"The master key from {source.Description} has no version {check.Version}, which this database " +
                    "still uses. Provide every version listed by 'portcullis vault status' until rotation retires it.");
            }

            if (!EnvelopeSealer.VerifyKeyCheck(key, check.Check))
            {
                throw new VaultConfigurationException(
                    $"The master key from {source.Description} does not open this database (version {check.Version} " +
                    "does not match). Start with the key this database was created with.");
            }
        }

        // 3. Versions the database has not seen yet are registered, so a later start can verify them.
        foreach (MasterKey key in ring.All.Where(k => checks.All(c => c.Version != k.Version)))
        {
            if (checks.Any(c => c.Version > key.Version && c.RetiredAt is null) && key.Version == ring.Active.Version)
            {
                throw new VaultConfigurationException(
                    $"The master key from {source.Description} is older than the one this database uses.");
            }

            await store.AddMasterKeyCheckAsync(key.Version, EnvelopeSealer.KeyCheck(key), time.GetUtcNow(), cancellationToken);
        }

        return new VaultService(source, store, time, logger, new EnvelopeSealer(ring));
    }

    public SealedSecret Seal(string id, string purpose, string workspaceId, string plaintext) =>
        Sealer.Seal(id, purpose, workspaceId, plaintext);

    public SecretValue? TryUnseal(SealedSecret sealedSecret) => Sealer.TryUnseal(sealedSecret);

    /// <summary>
    /// Adds a master-key version (when the source can store one), re-wraps every data key under the active version one
    /// row at a time, then retires versions nothing depends on. Requests keep working throughout: every row is readable
    /// under the version it names, and the key source holds the new version before any row refers to it.
    /// </summary>
    public async Task<VaultRotationResult> RotateAsync(
        CancellationToken cancellationToken, Func<int, ValueTask>? afterEachRow = null)
    {
        if (!await _rotationGate.WaitAsync(0, cancellationToken))
        {
            throw new InvalidOperationException("A master-key rotation is already running.");
        }

        try
        {
            // 1. The new version is durable in the key source and registered before any data key uses it.
            int previous = ActiveVersion;
            if (_source.CanStoreNewVersions)
            {
                IReadOnlyList<MasterKeyCheck> known = await _store.GetMasterKeyChecksAsync(cancellationToken);
                int next = Math.Max(known.Count == 0 ? 0 : known.Max(c => c.Version), previous) + 1;
                MasterKey added = MasterKey.Generate(next);
                await _source.AddVersionAsync(next, added.Bytes.ToArray(), cancellationToken);
                await _store.AddMasterKeyCheckAsync(next, EnvelopeSealer.KeyCheck(added), _time.GetUtcNow(), cancellationToken);
                Sealer.Ring.Add(added);
            }

            // 2. Re-wrap, one compare-and-set per row, so a crash leaves each row under a version the ring still holds.
            int active = ActiveVersion;
            int rewrapped = 0;
            var unreadable = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                IReadOnlyList<string> ids = await _store.ListSecretIdsNotAtVersionAsync(active, 200, cancellationToken);
                ids = ids.Where(id => !unreadable.Contains(id)).ToList();
                if (ids.Count == 0)
                {
                    break;
                }

                foreach (string id in ids)
                {
                    SealedSecret? current = await _store.GetSecretAsync(id, cancellationToken);
                    if (current is null || current.MasterKeyVersion == active)
                    {
                        continue;
                    }

                    SealedSecret? next = Sealer.TryRewrap(current);
                    if (next is null)
                    {
                        unreadable.Add(id);
                        continue;
                    }

                    if (await _store.TryRewrapSecretAsync(next, current.MasterKeyVersion, cancellationToken))
                    {
                        rewrapped++;
                        if (afterEachRow is not null)
                        {
                            await afterEachRow(rewrapped);
                        }
                    }
                }
            }

            // 3. Retire versions no row depends on any more.
            var retired = new List<int>();
            foreach (MasterKeyCheck check in await _store.GetMasterKeyChecksAsync(cancellationToken))
            {
                if (check.Version == active || check.RetiredAt is not null)
                {
                    continue;
                }

                if (await _store.CountSecretsAtVersionAsync(check.Version, cancellationToken) == 0)
                {
                    await _store.RetireMasterKeyAsync(check.Version, _time.GetUtcNow(), cancellationToken);
                    await _source.RemoveVersionAsync(check.Version, cancellationToken);
                    retired.Add(check.Version);
                }
            }

            GatewayLog.MasterKeyRotated(_logger, previous, active, rewrapped);
            return new VaultRotationResult(previous, active, rewrapped, retired, unreadable.Count);
        }
        finally
        {
            _rotationGate.Release();
        }
    }

    public async Task<VaultStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var versions = new List<VaultStatus.Version>();
        foreach (MasterKeyCheck check in await _store.GetMasterKeyChecksAsync(cancellationToken))
        {
            long count = await _store.CountSecretsAtVersionAsync(check.Version, cancellationToken);
            versions.Add(new VaultStatus.Version(check.Version, check.CreatedAt, check.RetiredAt, count));
        }

        return new VaultStatus(_source.Description, ActiveVersion, versions);
    }
}
