using Microsoft.Extensions.Logging;
using Portcullis.Diagnostics;
using Portcullis.Storage;

namespace Portcullis.Audit;

/// <summary>Records who changed what and when. Details name the fields that changed, never their secret values.</summary>
internal sealed class AuditTrail(IGatewayStore store, TimeProvider time, ILogger<AuditTrail> logger)
{
    public async Task RecordAsync(
        string? actorKeyId, string action, string targetType, string targetId, string? detail, CancellationToken cancellationToken)
    {
        await store.AppendAuditAsync(
            new AuditRecord(0, time.GetUtcNow(), actorKeyId, action, targetType, targetId, detail), cancellationToken);
        GatewayLog.AdminChange(logger, action, targetType, targetId, actorKeyId);
    }
}
