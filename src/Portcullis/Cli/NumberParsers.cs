using System.CommandLine.Parsing;
using System.Globalization;

namespace Portcullis.Cli;

/// <summary>Number options that say in plain words what was wrong, instead of naming a .NET type.</summary>
internal static class NumberParsers
{
    public static decimal? Decimal(ArgumentResult result)
    {
        string text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a number; write it like 2.5 (a dot for decimals).");
        return null;
    }

    public static int? Int(ArgumentResult result)
    {
        string text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a whole number.");
        return null;
    }

    public static long? Long(ArgumentResult result)
    {
        string text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a whole number.");
        return null;
    }
}
