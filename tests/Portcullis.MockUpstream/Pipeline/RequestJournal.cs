using System.Diagnostics;

namespace Portcullis.MockUpstream.Pipeline;

/// <summary>The requests the mock has recorded, in arrival order, with a way to wait for the n-th one.</summary>
internal sealed class RequestJournal
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _items = [];
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    public void Add(RecordedRequest request)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _items.Add(request);
            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
        }
    }

    public async Task<RecordedRequest> WaitForAsync(int count, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            // 1. Done already?
            Task changed;
            int seen;
            lock (_gate)
            {
                if (_items.Count >= count)
                {
                    return _items[count - 1];
                }

                seen = _items.Count;
                changed = _changed.Task;
            }

            // 2. Otherwise wait for the next arrival, within what is left of the timeout.
            TimeSpan left = timeout == Timeout.InfiniteTimeSpan
                ? Timeout.InfiniteTimeSpan
                : timeout - Stopwatch.GetElapsedTime(started);
            if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Waited {timeout} for request #{count}; the mock has recorded {seen}.");
            }

            try
            {
                await changed.WaitAsync(left).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Loop once more: the count is checked (and the timeout reported) under the lock.
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
