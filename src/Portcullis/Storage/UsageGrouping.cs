namespace Portcullis.Storage;

/// <summary>What the rows of a usage summary stand for.</summary>
internal enum UsageGrouping
{
    VirtualKey,
    ApiKey,
    Model,

    /// <summary>The UTC calendar day the request started on.</summary>
    Day,
}
