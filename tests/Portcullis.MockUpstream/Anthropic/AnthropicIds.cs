namespace Portcullis.MockUpstream.Anthropic;

/// <summary>Ids shaped like Anthropic's: a prefix with a version digit pair, then 22 base58 characters.</summary>
internal static class AnthropicIds
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private const int RandomLength = 22;

    public static string Message() => New("msg_01");

    public static string ToolUse() => New("toolu_01");

    public static string Request() => New("req_01");

    private static string New(string prefix) => string.Create(prefix.Length + RandomLength, prefix, static (span, p) =>
    {
        p.AsSpan().CopyTo(span);
        Random.Shared.GetItems(Alphabet.AsSpan(), span[p.Length..]);
    });
}
