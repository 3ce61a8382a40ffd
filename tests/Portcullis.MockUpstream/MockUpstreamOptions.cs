namespace Portcullis.MockUpstream;

/// <summary>Start-up settings for a <see cref="MockUpstreamServer"/>.</summary>
public sealed class MockUpstreamOptions
{
    /// <summary>
    /// TCP port to bind on 127.0.0.1. Default 0: the operating system picks a free port, so parallel tests never
    /// collide; read the chosen one back from <see cref="MockUpstreamServer.Port"/>.
    /// </summary>
    public int Port { get; init; }

    /// <summary>
    /// Header the default behaviour reads the API key from, taken verbatim (for example <c>api-key</c>, as Azure
    /// OpenAI does). Default null: the key comes from <c>Authorization: Bearer &lt;key&gt;</c>, as OpenAI does.
    /// </summary>
    public string? RequiredHeaderName { get; init; }

    /// <summary>
    /// Benchmark mode (the exe's <c>--bench</c>): nothing is recorded and chat completions are answered from fixed,
    /// pre-built bytes so the mock costs as little as possible.
    /// </summary>
    internal bool BenchmarkMode { get; init; }
}
