namespace Portcullis.MockUpstream.Pipeline;

/// <summary>Running totals of the usage the mock reported: the truth a gateway's spend is checked against.</summary>
internal sealed class UsageLedger
{
    private long _prompt;
    private long _completion;

    public long PromptTokens => Interlocked.Read(ref _prompt);

    public long CompletionTokens => Interlocked.Read(ref _completion);

    public void Add(long promptTokens, long completionTokens)
    {
        Interlocked.Add(ref _prompt, promptTokens);
        Interlocked.Add(ref _completion, completionTokens);
    }
}
