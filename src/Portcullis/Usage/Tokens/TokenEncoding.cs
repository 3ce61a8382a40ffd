namespace Portcullis.Usage.Tokens;

/// <summary>The tiktoken encodings Portcullis counts with.</summary>
internal enum TokenEncoding
{
    /// <summary>GPT-4o, GPT-4.1, GPT-5, the o-series, and the stand-in for every model not known to be cl100k.</summary>
    O200kBase,

    /// <summary>GPT-4 (before 4o), GPT-3.5 and the text-embedding models.</summary>
    Cl100kBase,
}
