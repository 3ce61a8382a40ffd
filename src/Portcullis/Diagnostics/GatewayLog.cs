using Microsoft.Extensions.Logging;

namespace Portcullis.Diagnostics;

/// <summary>
/// Every log event of the gateway, with fixed event ids per area: 1xxx start-up and vault, 2xxx admin, 3xxx data
/// plane, 4xxx usage. Only identifiers are logged: never prompts, completions, headers, secrets or upstream URLs.
/// </summary>
internal static partial class GatewayLog
{
    [LoggerMessage(1001, LogLevel.Warning,
        "Created a new master key file at {Path}. Anyone with this file and the database can open the stored secrets: " +
        "move the key to a secret store and pass it as PORTCULLIS_MASTER_KEY (base64 of 32 bytes), then delete the file.")]
    public static partial void MasterKeyFileCreated(ILogger logger, string path);

    [LoggerMessage(1002, LogLevel.Information,
        "Master key rotated from version {Previous} to {Active}; {Rewrapped} data keys re-wrapped")]
    public static partial void MasterKeyRotated(ILogger logger, int previous, int active, int rewrapped);

    [LoggerMessage(1004, LogLevel.Error, "A stored secret {SecretId} could not be opened with the master key ring")]
    public static partial void SecretUnreadable(ILogger logger, string secretId);

    [LoggerMessage(2001, LogLevel.Information, "Admin change {Action} on {TargetType} {TargetId} by key {ActorKeyId}")]
    public static partial void AdminChange(ILogger logger, string action, string targetType, string targetId, string? actorKeyId);

    [LoggerMessage(3001, LogLevel.Debug, "Request {TraceId} refused with {Status}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string traceId, int status, string reason);

    [LoggerMessage(3002, LogLevel.Warning, "Upstream {Provider} for {TraceId} failed: {Failure}")]
    public static partial void UpstreamFailed(ILogger logger, string provider, string traceId, string failure);

    [LoggerMessage(3003, LogLevel.Error, "Unhandled error in request {TraceId}")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string traceId);

    [LoggerMessage(4001, LogLevel.Error, "Writing {Count} request log records failed; retrying")]
    public static partial void UsageWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(4002, LogLevel.Information, "Interrupted requests settled at start-up: {Count}")]
    public static partial void InterruptedUsageSettled(ILogger logger, int count);

    [LoggerMessage(4003, LogLevel.Warning, "Budget event {Kind} for {OwnerKind} {OwnerId}: {Type} usage {Usage} of {Limit}")]
    public static partial void BudgetEventRaised(
        ILogger logger, string kind, string ownerKind, string ownerId, string type, long usage, long limit);

    [LoggerMessage(4004, LogLevel.Warning, "The budget alert webhook could not be called ({Failure}); event {Kind} not delivered")]
    public static partial void BudgetWebhookFailed(ILogger logger, string kind, string failure);

    [LoggerMessage(4005, LogLevel.Error, "The pending usage record of {TraceId} could not be written; request refused")]
    public static partial void PendingWriteFailed(ILogger logger, Exception exception, string traceId);
}
