namespace Portcullis.Storage;

/// <summary>A master-key version the database knows, with the value that proves a configured key is that version.</summary>
internal sealed record MasterKeyCheck(int Version, byte[] Check, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);
