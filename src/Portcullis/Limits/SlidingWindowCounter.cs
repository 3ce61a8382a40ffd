namespace Portcullis.Limits;

/// <summary>
/// The usage of one counter over a sliding window, in <see cref="TimeProvider"/> timestamp units. The window is cut
/// into 60 sub-buckets kept in a ring of 61; each remembers its total and the time of its latest event and counts whole
/// until that latest event is a full window old. Every event so counts for at least a window (never more than the
/// limit in any window: no doubled burst at an edge) and at most one sub-bucket longer; memory is fixed.
/// </summary>
/// <remarks>
/// Not thread-safe: callers hold <see cref="Gate"/>.
/// NOTE: an event counts until the latest event of its sub-bucket is a window old, so up to 1/60 of the window longer
/// than itself (a second for rpm, 24 minutes for rpd): conservative by design, never a second burst.
/// </remarks>
internal sealed class SlidingWindowCounter
{
    public const int BucketsPerWindow = 60;
    private const int Slots = BucketsPerWindow + 1;

    private readonly long window;
    private readonly long bucketWidth;
    private readonly long[] bucketOf = new long[Slots];
    private readonly long[] amountOf = new long[Slots];
    private readonly long[] latestOf = new long[Slots];
    private long latest = long.MinValue / 2;

    public SlidingWindowCounter(long window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, BucketsPerWindow);
        this.window = window;

        // Rounded up, so the ring's 61 slots always cover every bucket that can still be in the window.
        bucketWidth = (window + BucketsPerWindow - 1) / BucketsPerWindow;
        Array.Fill(bucketOf, long.MinValue);
    }

    public Lock Gate { get; } = new();

    /// <summary>Set, under <see cref="Gate"/>, when the counter left its table; a caller holding it must look again.</summary>
    public bool Evicted { get; set; }

    public long Window => window;

    public long Used(long now)
    {
        long used = 0;
        for (int s = 0; s < Slots; s++)
        {
            if (IsLive(s, now))
            {
                used += amountOf[s];
            }
        }

        return used;
    }

    /// <summary>Counts <paramref name="amount"/> at <paramref name="now"/>; returns its bucket for <see cref="Adjust"/>.</summary>
    public long Add(long now, long amount)
    {
        long bucket = now / bucketWidth;
        int s = SlotOf(bucket);
        if (bucketOf[s] != bucket)
        {
            // The slot held a bucket a full ring ago, which is out of the window by now.
            bucketOf[s] = bucket;
            amountOf[s] = 0;
        }

        amountOf[s] += amount;
        latestOf[s] = Math.Max(latestOf[s], now);
        latest = Math.Max(latest, now);
        return bucket;
    }

    /// <summary>Changes what an earlier <see cref="Add"/> counted; false when that bucket has left the window.</summary>
    public bool Adjust(long bucket, long delta, long now)
    {
        int s = SlotOf(bucket);
        if (bucketOf[s] != bucket || latestOf[s] + window <= now)
        {
            return false;
        }

        amountOf[s] = Math.Max(0, amountOf[s] + delta);
        return true;
    }

    /// <summary>The time until at least <paramref name="needed"/> of what is counted has left the window.</summary>
    public long TimeUntilFreed(long needed, long now)
    {
        // Oldest bucket first: the live ones lie in the 61 buckets up to the current one.
        long current = now / bucketWidth;
        long freed = 0;
        for (long bucket = current - BucketsPerWindow; bucket <= current; bucket++)
        {
            int s = SlotOf(bucket);
            if (bucketOf[s] == bucket && IsLive(s, now))
            {
                freed += amountOf[s];
                if (freed >= needed)
                {
                    return latestOf[s] + window - now;
                }
            }
        }

        return TimeUntilEmpty(now);
    }

    /// <summary>The time until nothing counted now is in the window; zero when nothing is.</summary>
    public long TimeUntilEmpty(long now)
    {
        long until = 0;
        for (int s = 0; s < Slots; s++)
        {
            if (IsLive(s, now))
            {
                until = Math.Max(until, latestOf[s] + window - now);
            }
        }

        return until;
    }

    /// <summary>True when every event has left the window: the counter can be dropped without changing any answer.</summary>
    public bool IsIdle(long now) => latest + window <= now;

    private bool IsLive(int s, long now) => amountOf[s] > 0 && latestOf[s] + window > now;

    private static int SlotOf(long bucket) => (int)(((bucket % Slots) + Slots) % Slots);
}
