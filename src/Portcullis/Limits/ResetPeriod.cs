namespace Portcullis.Limits;

/// <summary>
/// When a budget's usage goes back to zero: never, every Sunday 00:00 UTC, on the 1st of every month 00:00 UTC, or every
/// N days counted from the moment the period was turned on (<see cref="UsageLimit.ResetDays"/>).
/// </summary>
internal enum ResetPeriod
{
    None,
    Weekly,
    Monthly,
    Days,
}
