namespace Portcullis.MockUpstream.Pipeline;

/// <summary>
/// Decides whether a fired <see cref="HttpContext.RequestAborted"/> means the client went away: not once the answer
/// is fully written, not when a script aborts the connection itself, not when the server is shutting down.
/// </summary>
internal sealed class ExchangeWatch(RecordedRequest record, TimeProvider time, CancellationToken stopping)
{
    private const int Answering = 0;
    private const int Finished = 1;
    private const int SelfAborted = 2;

    private int _state = Answering;

    public void OnRequestAborted()
    {
        if (Volatile.Read(ref _state) == Answering && !stopping.IsCancellationRequested)
        {
            record.MarkDisconnected(time.GetUtcNow());
        }
    }

    /// <summary>Call once the last byte of the answer is handed to the server.</summary>
    public void Finish() => Interlocked.CompareExchange(ref _state, Finished, Answering);

    /// <summary>Call just before the mock aborts the connection on purpose.</summary>
    public void AbortingOnPurpose() => Volatile.Write(ref _state, SelfAborted);
}
