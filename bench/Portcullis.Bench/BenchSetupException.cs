namespace Portcullis.Bench;

/// <summary>The bench could not get as far as measuring (a missing build, a process that would not start, a refused setup call).</summary>
internal sealed class BenchSetupException(string message) : Exception(message);
