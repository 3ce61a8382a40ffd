namespace Portcullis.Limits;

/// <summary>
/// The window of a rate limit, with Portkey's names (used for token limits too): per second, minute, hour, day or week.
/// </summary>
internal enum RateLimitUnit
{
    Rps,
    Rpm,
    Rph,
    Rpd,
    Rpw,
}
