namespace Portcullis.Tests.Infrastructure;

/// <summary>
/// Tests that measure how fast something happens (an upstream sees a client leave within a second, a timeout fires on
/// time). xunit runs this collection on its own, after the parallel ones, so the rest of the suite starting gateway
/// processes on the same two cores cannot starve them into a false failure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
