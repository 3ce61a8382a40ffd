namespace Portcullis.Hosting;

/// <summary>Which requests write their pending usage record to disk before the upstream call.</summary>
public enum UsageDurability
{
    /// <summary>Every request: after a crash, every request that reached an upstream is in the log.</summary>
    Always,

    /// <summary>
    /// Only requests that hold a budget reservation, where a crash could otherwise lose spend. The others are recorded
    /// behind the request, without the disk write on their path; a crash can lose the last few milliseconds of them.
    /// </summary>
    Budgeted,
}
