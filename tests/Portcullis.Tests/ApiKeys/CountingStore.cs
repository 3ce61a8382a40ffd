using System.Reflection;
using Portcullis.Storage;

namespace Portcullis.Tests.ApiKeys;

/// <summary>A store that passes every call to a real one and counts the calls, to prove which paths never reach it.</summary>
public class CountingStore : DispatchProxy
{
    private object _inner = null!;
    private int _calls;

    internal int Calls => Volatile.Read(ref _calls);

    internal static IGatewayStore Wrap(IGatewayStore inner, out CountingStore counter)
    {
        IGatewayStore proxy = Create<IGatewayStore, CountingStore>();
        counter = (CountingStore)(object)proxy;
        counter._inner = inner;
        return proxy;
    }

    internal void Reset() => Volatile.Write(ref _calls, 0);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            return targetMethod!.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
