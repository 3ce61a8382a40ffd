using System.Text.Json;
using Portcullis.Limits;
using Portcullis.Storage;
using Portcullis.Usage;

namespace Portcullis.Budgets;

/// <summary>
/// Budgets on one machine: live state in memory under one lock, so reserving against every budget of a request is a
/// single atomic step, and every change written through <see cref="RequestLogWriter"/> in the same transaction as the
/// request-log row it belongs to. A pending row, with the amounts it holds, is on disk before the upstream call; a
/// restart settles what a crash left pending at its reserved (worst-case) amount.
/// </summary>
internal sealed class UsageLedger(
    IGatewayStore store, RequestLogWriter writer, BudgetAlerts alerts, TimeProvider time) : IUsageLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, BudgetAccount> _accounts = new(StringComparer.Ordinal);
    private Dictionary<string, BudgetSnapshot> _saved = new(StringComparer.Ordinal);
    private int _tokenizerLoading;

    /// <summary>Settles what a crash left pending, then loads every budget's state. Runs once, before traffic.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await store.SettleInterruptedUsageAsync(time.GetUtcNow(), cancellationToken);
        IReadOnlyList<BudgetSnapshot> saved = await store.ListBudgetsAsync(cancellationToken);
        lock (_gate)
        {
            _saved = saved.ToDictionary(s => s.Id, StringComparer.Ordinal);
        }

        if (saved.Count > 0)
        {
            PreloadTokenizer();
        }
    }

    // Budgets count input tokens before every request; the tokenizer takes most of a second to load, which the first
    // request should not wait for. Loaded in the background once any budget exists.
    private void PreloadTokenizer()
    {
        if (Interlocked.Exchange(ref _tokenizerLoading, 1) == 0)
        {
            _ = Task.Run(() => Usage.Tokens.TokenCounter.Preload(Usage.Tokens.TokenEncoding.O200kBase));
        }
    }

    public ValueTask<BudgetDecision> ReserveAsync(IReadOnlyList<BudgetClaim> claims, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Reserve(claims));

    public ValueTask ReleaseAsync(BudgetReservation reservation)
    {
        Release(reservation);
        return ValueTask.CompletedTask;
    }

    public ValueTask<BudgetStatus> ReadAsync(BudgetOwner owner, UsageLimit limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Read(owner, limit));

    // The embedded ledger decides in memory, under its lock: the async surface is for shared stores.
    private BudgetDecision Reserve(IReadOnlyList<BudgetClaim> claims)
    {
        if (claims.Count == 0)
        {
            return new BudgetDecision(BudgetReservation.None, null);
        }

        DateTimeOffset now = time.GetUtcNow();
        List<BudgetSnapshot>? changed = null;
        lock (_gate)
        {
            // 1. Every budget is brought to its current period first; a due reset is written at once.
            var accounts = new BudgetAccount[claims.Count];
            for (int i = 0; i < claims.Count; i++)
            {
                accounts[i] = AccountFor(claims[i], now, ref changed);
            }

            // 2. All or nothing: the first budget that cannot take its amount refuses the whole request.
            for (int i = 0; i < claims.Count; i++)
            {
                BudgetAccount account = accounts[i];
                if (!account.Admits(claims[i].Amount))
                {
                    Persist(changed);
                    return new BudgetDecision(null, new BudgetRefusal(
                        claims[i], account.CurrentUsage, account.Reserved, account.NextResetAt,
                        claims[i].Amount > account.Limit.CreditLimit && !account.Limit.Soft));
                }
            }

            for (int i = 0; i < claims.Count; i++)
            {
                accounts[i].Reserved += claims[i].Amount;
            }

            Persist(changed);
            return new BudgetDecision(new BudgetReservation(claims, accounts), null);
        }
    }

    private void Release(BudgetReservation reservation)
    {
        if (reservation.Claims.Count == 0 || !reservation.TryClose())
        {
            return;
        }

        lock (_gate)
        {
            for (int i = 0; i < reservation.Claims.Count; i++)
            {
                if (reservation.Holders[i] is BudgetAccount account)
                {
                    account.Reserved = Math.Max(0, account.Reserved - reservation.Claims[i].Amount);
                }
            }
        }
    }

    public Task WritePendingAsync(RequestLogRecord pending, BudgetReservation reservation, CancellationToken cancellationToken)
    {
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.Enqueue(new LedgerEntry
        {
            Log = pending,
            Reservation = ReservationJson(reservation),
            Durable = durable,
        });
        return durable.Task.WaitAsync(cancellationToken);
    }

    public void Complete(RequestLogRecord record, BudgetReservation reservation, long actualCost, long actualTokens)
    {
        if (reservation.Claims.Count == 0 || !reservation.TryClose())
        {
            writer.Enqueue(new LedgerEntry { Log = record });
            return;
        }

        DateTimeOffset now = time.GetUtcNow();
        List<BudgetEvent>? events = null;
        lock (_gate)
        {
            var snapshots = new List<BudgetSnapshot>(reservation.Claims.Count);
            for (int i = 0; i < reservation.Claims.Count; i++)
            {
                // A budget removed (and perhaps set again) since admission is not charged: it is not the same budget.
                BudgetClaim claim = reservation.Claims[i];
                if (reservation.Holders[i] is not BudgetAccount account ||
                    !_accounts.TryGetValue(claim.AccountId, out BudgetAccount? current) || !ReferenceEquals(account, current))
                {
                    continue;
                }

                long actual = Math.Max(0, claim.Limit.Type == UsageLimitType.Cost ? actualCost : actualTokens);
                account.Reserved = Math.Max(0, account.Reserved - claim.Amount);
                account.CurrentUsage += actual;
                account.TotalUsage += actual;
                CollectEvents(account, now, ref events);
                snapshots.Add(account.Snapshot());
            }

            // Enqueued under the lock, so the writer sees budget states in the order they happened.
            writer.Enqueue(new LedgerEntry { Log = record, Budgets = snapshots });
        }

        if (events is not null)
        {
            foreach (BudgetEvent e in events)
            {
                alerts.Raise(e);
            }
        }
    }

    public void Checkpoint(string requestId, BudgetReservation reservation, long costSoFar, long tokensSoFar)
    {
        if (reservation.Claims.Count == 0)
        {
            return;
        }

        var used = new Dictionary<string, long>(reservation.Claims.Count, StringComparer.Ordinal);
        foreach (BudgetClaim claim in reservation.Claims)
        {
            used[claim.AccountId] = claim.Limit.Type == UsageLimitType.Cost ? costSoFar : tokensSoFar;
        }

        writer.Enqueue(new LedgerEntry { ProgressOf = requestId, Progress = JsonSerializer.Serialize(used) });
    }

    public void Record(RequestLogRecord record) => writer.Enqueue(new LedgerEntry { Log = record });

    private BudgetStatus Read(BudgetOwner owner, UsageLimit limit)
    {
        DateTimeOffset now = time.GetUtcNow();
        List<BudgetSnapshot>? changed = null;
        lock (_gate)
        {
            BudgetAccount account = AccountFor(new BudgetClaim(owner, limit, 0), now, ref changed);
            Persist(changed);
            return account.Status();
        }
    }

    public async Task ConfigureAsync(
        BudgetOwner owner, IReadOnlyList<UsageLimit> limits, bool resetUsage, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (limits.Count > 0)
        {
            PreloadTokenizer();
        }

        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            List<BudgetSnapshot>? changed = null;
            var removed = new List<string>();
            foreach (UsageLimitType type in (ReadOnlySpan<UsageLimitType>)[UsageLimitType.Cost, UsageLimitType.Tokens])
            {
                string id = BudgetAccount.IdOf(owner, type);
                UsageLimit? limit = limits.FirstOrDefault(l => l.Type == type);
                if (limit is null)
                {
                    // A budget that is removed forgets its usage: set again later, it starts from zero.
                    if (_accounts.Remove(id) | _saved.Remove(id))
                    {
                        removed.Add(id);
                    }

                    continue;
                }

                BudgetAccount account = AccountFor(new BudgetClaim(owner, limit, 0), now, ref changed);
                if (resetUsage)
                {
                    account.ResetUsage(now);
                }

                (changed ??= []).Add(account.Snapshot());
            }

            writer.Enqueue(new LedgerEntry { Budgets = changed, RemovedBudgets = removed, Durable = durable });
        }

        await durable.Task.WaitAsync(cancellationToken);
    }

    public Task RemoveAsync(BudgetOwner owner, CancellationToken cancellationToken) =>
        ConfigureAsync(owner, [], resetUsage: false, cancellationToken);

    // Finds or makes the account of a claim, brought to the claim's configuration and to the current period.
    private BudgetAccount AccountFor(BudgetClaim claim, DateTimeOffset now, ref List<BudgetSnapshot>? changed)
    {
        string id = claim.AccountId;
        if (!_accounts.TryGetValue(id, out BudgetAccount? account))
        {
            account = _saved.Remove(id, out BudgetSnapshot? saved)
                ? new BudgetAccount(claim.Owner, claim.Limit, saved)
                : new BudgetAccount(claim.Owner, claim.Limit, now);
            _accounts[id] = account;
            if (saved is null)
            {
                (changed ??= []).Add(account.Snapshot());
            }
        }

        bool dirty = false;
        if (account.Limit != claim.Limit)
        {
            account.Reconfigure(claim.Limit, now);
            dirty = true;
        }

        dirty |= account.RollForward(now);
        if (dirty)
        {
            (changed ??= []).Add(account.Snapshot());
        }

        return account;
    }

    private void Persist(List<BudgetSnapshot>? changed)
    {
        if (changed is not null)
        {
            writer.Enqueue(new LedgerEntry { Budgets = changed });
        }
    }

    private static void CollectEvents(BudgetAccount account, DateTimeOffset now, ref List<BudgetEvent>? events)
    {
        UsageLimit limit = account.Limit;
        if (!account.AlertSent && limit.AlertThreshold is { } threshold && account.CurrentUsage >= threshold)
        {
            account.AlertSent = true;
            (events ??= []).Add(EventOf(BudgetEvent.AlertCrossed, account, now));
        }

        if (!account.ExhaustedSent && account.Exhausted)
        {
            account.ExhaustedSent = true;
            (events ??= []).Add(EventOf(BudgetEvent.UsedUp, account, now));
        }
    }

    private static BudgetEvent EventOf(string kind, BudgetAccount account, DateTimeOffset now) => new(
        kind, account.Owner, account.Limit.Type == UsageLimitType.Cost ? "cost" : "tokens", account.Limit.CreditLimit,
        account.Limit.AlertThreshold, account.CurrentUsage, account.PeriodStart, account.NextResetAt, now);

    // What start-up needs to settle a row a crash left pending: each budget's id and the amount held against it.
    private static string? ReservationJson(BudgetReservation reservation)
    {
        if (reservation.Claims.Count == 0)
        {
            return null;
        }

        var held = new Dictionary<string, long>(reservation.Claims.Count, StringComparer.Ordinal);
        foreach (BudgetClaim claim in reservation.Claims)
        {
            held[claim.AccountId] = claim.Amount;
        }

        return JsonSerializer.Serialize(held);
    }
}
