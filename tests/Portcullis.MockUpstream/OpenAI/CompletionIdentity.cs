namespace Portcullis.MockUpstream.OpenAI;

/// <summary>The fields every object and chunk of one answer share: id, creation time and model.</summary>
internal readonly record struct CompletionIdentity(string Id, long Created, string Model)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private const int IdLength = 29;

    public static CompletionIdentity Create(string idPrefix, string model, TimeProvider time) =>
        new(NewId(idPrefix), time.GetUtcNow().ToUnixTimeSeconds(), model);

    /// <summary>An id like OpenAI's: the prefix, then 29 random letters and digits.</summary>
    public static string NewId(string prefix) => string.Create(prefix.Length + IdLength, prefix, static (span, p) =>
    {
        p.AsSpan().CopyTo(span);
        Random.Shared.GetItems(Alphabet.AsSpan(), span[p.Length..]);
    });
}
