namespace Portcullis.Limits;

/// <summary>What a rate limit counts: requests (one per admitted call) or tokens (the real tokens of each call).</summary>
internal enum RateLimitType
{
    Requests,
    Tokens,
}
