namespace Portcullis.Tests.Cli;

/// <summary>How one run of the <c>portcullis</c> program ended: its exit code and everything it wrote.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Both streams, for assertions about what the program printed anywhere.</summary>
    public string Output => StandardOutput + StandardError;

    /// <summary>A readable account of the run, for assertion messages.</summary>
    public override string ToString() =>
        $"exit {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{StandardOutput}" +
        $"--- stderr ---{Environment.NewLine}{StandardError}";
}
