using System.Collections.Concurrent;
using Portcullis.Admin;
using Portcullis.Storage;
using Portcullis.VirtualKeys;

namespace Portcullis.Workspaces;

/// <summary>
/// Creates, changes and finds workspaces. The data plane reads them through a cache (a request's workspace budgets
/// and rate limits), which every change here clears.
/// </summary>
internal sealed class WorkspaceService(IGatewayStore store, TimeProvider time)
{
    /// <summary>The workspace that exists from the first start and cannot be deleted.</summary>
    public const string DefaultId = "default";

    private readonly ConcurrentDictionary<string, WorkspaceRecord?> _cache = new(StringComparer.Ordinal);

    /// <summary>Creates the default workspace unless it exists; safe on every start.</summary>
    public async Task EnsureDefaultAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        await store.InsertWorkspaceAsync(new WorkspaceRecord
        {
            Id = DefaultId,
            Name = "Default",
            Description = "Created on first start; keys made without a workspace_id belong here.",
            CreatedAt = now,
            UpdatedAt = now,
        }, cancellationToken);
        _cache.Clear();
    }

    /// <summary>The workspace for the data plane, from the cache; null when it does not exist.</summary>
    public async ValueTask<WorkspaceRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(id, out WorkspaceRecord? cached))
        {
            return cached;
        }

        WorkspaceRecord? record = await store.GetWorkspaceAsync(id, cancellationToken);
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[id] = record;
        return record;
    }

    public Task<WorkspaceRecord?> GetAsync(string id, CancellationToken cancellationToken) =>
        store.GetWorkspaceAsync(id, cancellationToken);

    public async Task<WorkspaceRecord> CreateAsync(WorkspaceRecord draft, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            WorkspaceRecord record = draft with { Id = NewId(draft.Name), CreatedAt = now, UpdatedAt = now };
            if (await store.InsertWorkspaceAsync(record, cancellationToken))
            {
                _cache.Clear();
                return record;
            }
        }

        throw AdminProblem.Conflict("Could not find a free workspace id; try again.");
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the current record and stores it unless someone changed it in between, in
    /// which case it reads again and re-applies, so concurrent updates never undo each other. Null when not found.
    /// </summary>
    public async Task<WorkspaceRecord?> UpdateAsync(
        string id, Func<WorkspaceRecord, WorkspaceRecord> change, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            WorkspaceRecord? current = await store.GetWorkspaceAsync(id, cancellationToken);
            if (current is null)
            {
                return null;
            }

            DateTimeOffset now = time.GetUtcNow();
            WorkspaceRecord next = change(current) with
            {
                Id = current.Id,
                UpdatedAt = now > current.UpdatedAt ? now : current.UpdatedAt.AddTicks(1),
            };
            if (await store.UpdateWorkspaceAsync(next, current.UpdatedAt, cancellationToken))
            {
                _cache.Clear();
                return next;
            }
        }

        throw AdminProblem.Conflict($"Workspace '{id}' kept changing under this update; try again.");
    }

    /// <inheritdoc cref="IGatewayStore.DeleteWorkspaceAsync"/>
    public async Task<WorkspaceContents?> DeleteAsync(string id, bool cascade, CancellationToken cancellationToken)
    {
        WorkspaceContents? contents = await store.DeleteWorkspaceAsync(id, cascade, cancellationToken);
        _cache.Clear();
        return contents;
    }

    // Portkey's ids read like ws-<name>-<random>; the id doubles as the slug.
    private static string NewId(string name) => SlugGenerator.FromName(name, "ws");
}
