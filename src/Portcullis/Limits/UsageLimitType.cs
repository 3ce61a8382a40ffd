namespace Portcullis.Limits;

/// <summary>What a budget counts: money (<c>"cost"</c>, the default in Portkey's API) or tokens (<c>"tokens"</c>).</summary>
internal enum UsageLimitType
{
    Cost,
    Tokens,
}
