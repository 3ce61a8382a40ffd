using System.Diagnostics;
using System.Globalization;

namespace Portcullis.Bench;

/// <summary>Progress lines on stderr, so stdout carries only the table.</summary>
internal static class Progress
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Say(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Clock.Elapsed.TotalSeconds,6:0.0} s] {message}"));
}
