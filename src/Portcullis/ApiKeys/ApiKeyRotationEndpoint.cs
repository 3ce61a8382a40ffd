using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portcullis.Admin;
using Portcullis.Audit;
using Portcullis.Storage;

namespace Portcullis.ApiKeys;

/// <summary>
/// <c>POST /v1/api-keys/{id}/rotate</c> with <c>{key_transition_period_ms}</c>: a new secret under the same id, the old
/// one still working until <c>key_transition_expires_at</c>. Needs <c>api_keys.update</c> and, as for an update, every
/// scope the rotated key holds.
/// </summary>
internal static class ApiKeyRotationEndpoint
{
    public static void Map(RouteGroupBuilder v1) =>
        v1.MapPost("/api-keys/{id}/rotate", RotateAsync).WithScope(Scopes.ApiKeysUpdate);

    private static async Task<IResult> RotateAsync(
        string id, HttpContext context, ApiKeyService apiKeys, AuditTrail audit, CancellationToken cancellationToken)
    {
        // 1. The transition: absent means the default (one hour); 0 ends the old secret at once; anything else shorter
        //    than the reference's minimum is refused.
        TimeSpan transition = ApiKeyService.DefaultTransition;
        if (context.Request.ContentLength is not 0)
        {
            JsonElement body = await AdminJson.ReadObjectAsync(context.Request, cancellationToken);
            transition = Transition(body) ?? transition;
        }

        // 2. Rotate, refusing a key the caller cannot see (as if unknown) or does not outrank.
        var actor = context.Actor();
        (ApiKeyRecord record, string key) = await apiKeys.RotateAsync(id, transition, current =>
        {
            if (!Workspaces.WorkspaceAccess.CanSee(actor, current))
            {
                throw AdminProblem.NotFound($"API key '{id}'");
            }

            AdminEndpoints.RequireOutranks(actor, current);
            KeyBounds.RequireCovers(actor, current);
        }, cancellationToken) ?? throw AdminProblem.NotFound($"API key '{id}'");

        // 3. Audit without any secret: only the transition.
        long milliseconds = (long)transition.TotalMilliseconds;
        await audit.RecordAsync(actor.KeyId, "api_key.rotate", "api-key", id, $"key_transition_period_ms: {milliseconds}",
            cancellationToken);
        return Results.Json(new Dictionary<string, object?>
        {
            ["id"] = record.Id,
            ["key"] = key,
            ["key_transition_expires_at"] = record.PreviousKeyExpiresAt,
            ["object"] = "api-key",
        });
    }

    private static TimeSpan? Transition(JsonElement body)
    {
        if (!body.TryGetProperty("key_transition_period_ms", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        long min = (long)ApiKeyService.MinimumTransition.TotalMilliseconds;
        long max = (long)ApiKeyService.MaximumTransition.TotalMilliseconds;
        // 0 ends the old secret at once (a leaked key); otherwise the reference's minimum of 30 minutes applies.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long ms) || (ms != 0 && (ms < min || ms > max)))
        {
            throw AdminProblem.Validation(
                $"key_transition_period_ms must be 0 (the old key stops at once) or a whole number of milliseconds from " +
                $"{min} (30 minutes) to {max} (30 days).");
        }

        return TimeSpan.FromMilliseconds(ms);
    }
}
