using System.Globalization;
using Portcullis.Budgets;
using Portcullis.Forwarding;
using Portcullis.Limits;
using Portcullis.Pricing;

namespace Portcullis.Governance;

/// <summary>Turns a budget refusal into the reference's 412 error, saying which budget and when it resets.</summary>
internal static class BudgetMessages
{
    public static GatewayError Refusal(BudgetRefusal refusal)
    {
        BudgetClaim claim = refusal.Claim;
        UsageLimit limit = claim.Limit;
        string kind = limit.Type == UsageLimitType.Cost ? "cost" : "token";
        string type = claim.Owner.ExhaustErrorType;
        string reset = refusal.NextResetAt is { } next
            ? $" It resets at {next.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}."
            : $" It does not reset on its own: raise credit_limit or {ResetHint(claim.Owner)} with reset_usage: true.";
        string message = refusal.LargerThanBudget
            ? $"This request could use up to {Amount(limit, claim.Amount)}, more than the whole {kind} budget of " +
              $"{claim.Owner.Describe()} ({Amount(limit, limit.CreditLimit)}); ask for fewer output tokens (max_tokens)."
            : $"The {kind} budget of {claim.Owner.Describe()} has no room for this request: " +
              $"{Amount(limit, refusal.CurrentUsage)} of " +
              $"{Amount(limit, limit.CreditLimit)} used in this period" +
              (refusal.Reserved > 0 ? $", {Amount(limit, refusal.Reserved)} held by requests in flight" : "") +
              (limit.Soft ? "." : $", and this request could use up to {Amount(limit, claim.Amount)}.") + reset;
        return new GatewayError(412, type, "04", message);
    }

    /// <summary>The time to the budget's next reset, when it has one and waiting would help.</summary>
    public static TimeSpan? RetryAfter(BudgetRefusal refusal, DateTimeOffset now) =>
        refusal.LargerThanBudget || refusal.NextResetAt is not { } next ? null
        : next > now ? next - now
        : TimeSpan.FromSeconds(1);

    private static string ResetHint(BudgetOwner owner) => owner.Kind switch
    {
        BudgetOwner.IntegrationWorkspace => $"update the grant (PUT /v1/integrations/{owner.Label}/workspaces)",
        BudgetOwner.Workspace => "update the workspace (PUT /v1/admin/workspaces/{id})",
        _ => "update the key",
    };

    private static string Amount(UsageLimit limit, long value) => limit.Type == UsageLimitType.Cost
        ? "$" + Money.ToDollars(value).ToString("0.00####", CultureInfo.InvariantCulture)
        : value.ToString("N0", CultureInfo.InvariantCulture) + " tokens";
}
