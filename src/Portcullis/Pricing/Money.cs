namespace Portcullis.Pricing;

/// <summary>
/// Money is counted in whole picodollars (10^-12 USD) as <see cref="long"/>: exact for every price quoted with up to six
/// decimals per million tokens, and enough for budgets up to about 9 million dollars.
/// </summary>
internal static class Money
{
    public const long PicosPerDollar = 1_000_000_000_000;

    /// <summary>A price per million tokens in dollars, as picodollars per token (USD 2.50 / 1M gives 2,500,000).</summary>
    public static long PerMillionToPerToken(decimal dollarsPerMillion) => checked((long)(dollarsPerMillion * 1_000_000m));

    public static decimal PerTokenToPerMillion(long picosPerToken) => picosPerToken / 1_000_000m;

    public static long FromDollars(decimal dollars) => checked((long)decimal.Round(dollars * PicosPerDollar, 0));

    public static decimal ToDollars(long picos) => picos / (decimal)PicosPerDollar;
}
