using System.CommandLine.Parsing;
using System.Globalization;

namespace Portcullis.Cli;

/// <summary>Number options that say in plain words what was wrong, instead of naming a .NET type.</summary>
internal static class NumberParsers
{
    public static decimal? Decimal(ArgumentResult result) =>
        Parse<decimal>(result, "is not a number; write it like 2.5 (a dot for decimals).");

    public static int? Int(ArgumentResult result) => Parse<int>(result, "is not a whole number.");

    public static long? Long(ArgumentResult result) => Parse<long>(result, "is not a whole number.");

    private static T? Parse<T>(ArgumentResult result, string problem)
        where T : struct, IParsable<T>
    {
        string text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (T.TryParse(text, CultureInfo.InvariantCulture, out T value))
        {
            return value;
        }

        result.AddError($"'{text}' {problem}");
        return null;
    }
}
