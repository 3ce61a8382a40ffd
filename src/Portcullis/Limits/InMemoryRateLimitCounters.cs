using System.Collections.Concurrent;

namespace Portcullis.Limits;

/// <summary>
/// Rate-limit counters in this process's memory: exact for a single instance. Each counter is a
/// <see cref="SlidingWindowCounter"/> with its own lock; a call locks all of its counters in one fixed order, so its
/// rules are applied all or nothing and calls on different keys never wait for each other. Counters whose whole
/// window has passed are dropped about once a minute, so memory follows the keys in use.
/// </summary>
internal sealed class InMemoryRateLimitCounters : IRateLimitCounters
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<RateCounterId, SlidingWindowCounter> counters = new();
    private readonly long sweepInterval;
    private long nextSweep;

    public InMemoryRateLimitCounters(TimeProvider time)
    {
        this.time = time;
        sweepInterval = ToTimestamp(SweepInterval);
        nextSweep = time.GetTimestamp() + sweepInterval;
    }

    /// <summary>How many counters are held now (for tests of eviction).</summary>
    internal int CounterCount => counters.Count;

    public ValueTask<RateDecision> TryAcquireAsync(
        IReadOnlyList<RateLimitRule> rules, long expectedTokens, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfNegative(expectedTokens);
        foreach (RateLimitRule rule in rules)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(rule.Limit.Value, 1, nameof(rules));
        }

        SweepIfDue();
        var ids = new RateCounterId[rules.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = RateCounterId.Of(rules[i]);
        }

        // A counter evicted between the lookup and the lock is out of the table: look up again.
        while (true)
        {
            SlidingWindowCounter[] held = Lookup(ids);
            SlidingWindowCounter[] locked = LockInOrder(ids, held);
            try
            {
                if (!locked.Any(c => c.Evicted))
                {
                    // The time is read under the locks, so no event counted by another call lies in its future.
                    return ValueTask.FromResult(Decide(rules, ids, held, expectedTokens, time.GetTimestamp()));
                }
            }
            finally
            {
                for (int i = locked.Length - 1; i >= 0; i--)
                {
                    locked[i].Gate.Exit();
                }
            }
        }
    }

    /// <remarks>
    /// The cancellation token is not observed: a reservation is released even when the call that made it was cancelled.
    /// </remarks>
    public ValueTask<RateSnapshot> SettleAsync(RateLease lease, long actualTokens, CancellationToken ct)
    {
        if (lease is not InMemoryRateLease own)
        {
            throw new ArgumentException("The lease comes from another rate-limit store.", nameof(lease));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(actualTokens);
        long delta = actualTokens - own.ReservedTokens;
        if (own.TryMarkSettled() && delta != 0)
        {
            foreach ((RateCounterId id, long bucket) in own.Reservations)
            {
                Settle(id, bucket, delta);
            }
        }

        return ValueTask.FromResult(Snapshot(own.Rules));
    }

    private RateDecision Decide(
        IReadOnlyList<RateLimitRule> rules, RateCounterId[] ids, SlidingWindowCounter[] held, long expectedTokens, long now)
    {
        // 1. Every rule against its counter as it stands.
        RateLimitRule? refusedBy = null;
        long longestWait = 0;
        for (int i = 0; i < rules.Count; i++)
        {
            long used = held[i].Used(now);
            long value = rules[i].Limit.Value;
            bool fits = rules[i].Limit.Type == RateLimitType.Requests ? used + 1 <= value : used < value;
            if (!fits)
            {
                // Room for one more request, or for anything at all of tokens, both mean used - freed <= value - 1.
                long wait = held[i].TimeUntilFreed(used - value + 1, now);
                if (refusedBy is null || wait > longestWait)
                {
                    refusedBy = rules[i];
                    longestWait = wait;
                }
            }
        }

        if (refusedBy is not null)
        {
            TimeSpan retryAfter = ToTimeSpan(Math.Max(longestWait, 1));
            return RateDecision.Refuse(refusedBy, retryAfter, Snapshot(rules, held, now));
        }

        // 2. All fit: count the call once in every counter, even one that two rules share.
        var reservations = new List<(RateCounterId, long)>();
        for (int i = 0; i < rules.Count; i++)
        {
            if (Array.IndexOf(held, held[i]) != i)
            {
                continue;
            }

            if (ids[i].Type == RateLimitType.Requests)
            {
                held[i].Add(now, 1);
            }
            else
            {
                reservations.Add((ids[i], held[i].Add(now, expectedTokens)));
            }
        }

        var lease = new InMemoryRateLease(rules, expectedTokens, reservations);
        return RateDecision.Admit(lease, Snapshot(rules, held, now));
    }

    private void Settle(RateCounterId id, long bucket, long delta)
    {
        while (true)
        {
            // Nothing to give back to a counter that is gone: what it held has left the window.
            SlidingWindowCounter? counter = delta > 0 ? GetOrAdd(id) : counters.GetValueOrDefault(id);
            if (counter is null)
            {
                return;
            }

            lock (counter.Gate)
            {
                if (counter.Evicted)
                {
                    continue;
                }

                // When the reserved bucket has left the window, only tokens beyond the reservation are still to count.
                long now = time.GetTimestamp();
                if (!counter.Adjust(bucket, delta, now) && delta > 0)
                {
                    counter.Add(now, delta);
                }

                return;
            }
        }
    }

    private RateSnapshot Snapshot(IReadOnlyList<RateLimitRule> rules)
    {
        var held = new SlidingWindowCounter?[rules.Count];
        var statuses = new RateWindowStatus[rules.Count];
        for (int i = 0; i < rules.Count; i++)
        {
            SlidingWindowCounter? counter = counters.GetValueOrDefault(RateCounterId.Of(rules[i]));
            if (counter is null)
            {
                statuses[i] = new RateWindowStatus(rules[i].Limit.Value, rules[i].Limit.Value, TimeSpan.Zero);
                continue;
            }

            lock (counter.Gate)
            {
                statuses[i] = Status(rules[i], counter, time.GetTimestamp());
            }
        }

        return MostRestrictive(rules, statuses);
    }

    private RateSnapshot Snapshot(IReadOnlyList<RateLimitRule> rules, SlidingWindowCounter[] held, long now)
    {
        var statuses = new RateWindowStatus[rules.Count];
        for (int i = 0; i < rules.Count; i++)
        {
            statuses[i] = Status(rules[i], held[i], now);
        }

        return MostRestrictive(rules, statuses);
    }

    private RateWindowStatus Status(RateLimitRule rule, SlidingWindowCounter counter, long now)
    {
        long value = rule.Limit.Value;
        long remaining = Math.Max(0, value - counter.Used(now));
        return new RateWindowStatus(value, remaining, ToTimeSpan(counter.TimeUntilEmpty(now)));
    }

    private static RateSnapshot MostRestrictive(IReadOnlyList<RateLimitRule> rules, RateWindowStatus[] statuses)
    {
        RateWindowStatus? requests = null, tokens = null;
        for (int i = 0; i < rules.Count; i++)
        {
            if (rules[i].Limit.Type == RateLimitType.Requests)
            {
                requests = Tighter(requests, statuses[i]);
            }
            else
            {
                tokens = Tighter(tokens, statuses[i]);
            }
        }

        return requests is null && tokens is null ? RateSnapshot.None : new RateSnapshot(requests, tokens);
    }

    private static RateWindowStatus Tighter(RateWindowStatus? a, RateWindowStatus b) =>
        a is null || b.Remaining < a.Remaining || (b.Remaining == a.Remaining && b.ResetAfter > a.ResetAfter) ? b : a;

    private SlidingWindowCounter[] Lookup(RateCounterId[] ids)
    {
        var held = new SlidingWindowCounter[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            held[i] = GetOrAdd(ids[i]);
        }

        return held;
    }

    // Every call takes its locks in the order of the counter ids, so two calls never wait on each other in a circle.
    private static SlidingWindowCounter[] LockInOrder(RateCounterId[] ids, SlidingWindowCounter[] held)
    {
        int[] order = Enumerable.Range(0, ids.Length).ToArray();
        Array.Sort(order, (a, b) => ids[a].CompareTo(ids[b]));

        var locked = new List<SlidingWindowCounter>(ids.Length);
        foreach (int i in order)
        {
            if (!locked.Contains(held[i]))
            {
                held[i].Gate.Enter();
                locked.Add(held[i]);
            }
        }

        return [.. locked];
    }

    private SlidingWindowCounter GetOrAdd(RateCounterId id) => counters.GetOrAdd(
        id, static (key, self) => new SlidingWindowCounter(self.ToTimestamp(RateLimit.WindowOf(key.Unit))), this);

    // NOTE: the sweep runs on the call that finds it due, so that call pays for a pass over every counter.
    private void SweepIfDue()
    {
        long now = time.GetTimestamp();
        long due = Volatile.Read(ref nextSweep);
        if (now < due || Interlocked.CompareExchange(ref nextSweep, now + sweepInterval, due) != due)
        {
            return;
        }

        foreach ((RateCounterId id, SlidingWindowCounter counter) in counters)
        {
            lock (counter.Gate)
            {
                if (counter.IsIdle(now))
                {
                    counter.Evicted = true;
                    counters.TryRemove(new KeyValuePair<RateCounterId, SlidingWindowCounter>(id, counter));
                }
            }
        }
    }

    private long ToTimestamp(TimeSpan span) =>
        (long)((Int128)span.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond);

    // Rounded up, so a wait that is not over never reads as zero.
    private TimeSpan ToTimeSpan(long timestamp) => TimeSpan.FromTicks(
        (long)(((Int128)timestamp * TimeSpan.TicksPerSecond + time.TimestampFrequency - 1) / time.TimestampFrequency));
}
