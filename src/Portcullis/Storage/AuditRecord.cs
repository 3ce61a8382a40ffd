namespace Portcullis.Storage;

/// <summary>One admin change: who (the acting API key's id), what, when. Never a secret value.</summary>
internal sealed record AuditRecord(
    long Id, DateTimeOffset At, string? ActorKeyId, string Action, string TargetType, string TargetId, string? Detail);
