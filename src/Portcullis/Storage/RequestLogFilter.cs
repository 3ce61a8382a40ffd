namespace Portcullis.Storage;

/// <summary>
/// Which request-log records a listing or a usage summary reads. Every field is optional and they combine with AND;
/// <see cref="From"/> is inclusive and <see cref="To"/> exclusive, both compared with the record's start time.
/// </summary>
internal sealed record RequestLogFilter
{
    public static readonly RequestLogFilter None = new();

    public string? VirtualKeySlug { get; init; }

    public string? ApiKeyId { get; init; }

    public string? Model { get; init; }

    /// <summary>Only records of this workspace (the request's workspace, see <see cref="RequestLogRecord.WorkspaceId"/>).</summary>
    public string? WorkspaceId { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Also read requests still in flight (outcome <c>pending</c>); listings leave them out by default.</summary>
    public bool IncludePending { get; init; }
}
