using Portcullis.ApiKeys;
using Portcullis.Budgets;
using Portcullis.Forwarding;
using Portcullis.Hosting;
using Portcullis.Limits;
using Portcullis.Pricing;
using Portcullis.Storage;
using Portcullis.Usage.Tokens;
using Portcullis.Workspaces;

namespace Portcullis.Governance;

/// <summary>
/// Step 5 of the data plane: every budget and rate limit that applies to a request (its virtual key's, its API key's
/// and its workspace's) is checked before the upstream call. Budgets reserve the request's worst-case cost or tokens, all in one
/// atomic step; rate limits take one request and the expected tokens. Either refuses the whole request, and a budget
/// reservation is given back when a rate limit refuses.
/// </summary>
internal sealed class AdmissionGate(
    IUsageLedger ledger, IRateLimitCounters rates, PricingCatalog pricing, GatewayOptions options, TimeProvider time,
    WorkspaceService workspaces)
{
    /// <summary>Whether an operation produces tokens that budgets and token limits count; a model listing does not.</summary>
    public static bool IsMetered(string operation) => operation != "models";

    public async ValueTask<Admission> AdmitAsync(
        Caller caller, Target target, string operation, string? model, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        // Listing models costs nothing: only request rate limits apply to it.
        bool metered = IsMetered(operation);
        // The request's workspace is its virtual key's, or the caller's own for pass-through (cached records).
        WorkspaceRecord? workspace = await workspaces.FindAsync(
            target.VirtualKey?.Record.WorkspaceId ?? caller.WorkspaceId, cancellationToken);
        List<GovernedLevel>? levels = LevelsOf(caller, target, workspace);
        int budgetCount = 0;
        int rateCount = 0;
        bool costBudget = false;
        bool tokenRates = false;
        for (int i = 0; i < (levels?.Count ?? 0); i++)
        {
            GovernedLevel level = levels![i];
            budgetCount += metered ? level.Budgets.Count : 0;
            rateCount += level.Rates.Count;
            costBudget |= metered && HasCost(level.Budgets);
            tokenRates |= metered && HasTokens(level.Rates);
        }

        ModelPrice? price = metered ? pricing.Find(target.VirtualKey?.Record.Slug, model) : null;
        price = metered ? target.VirtualKey?.Integration?.PriceOf(model, price) ?? price : null;
        if (budgetCount + rateCount == 0)
        {
            return price is null ? Admission.Free : new Admission { Price = price };
        }

        // 1. A cost budget needs a price: an unpriced model is refused, never counted as free.
        if (costBudget && price is null)
        {
            return new Admission { Refusal = PriceMissing(model, target.VirtualKey?.Record.Slug) };
        }

        // 2. The worst case: the input tokens counted here, and the most output the request may ask for, n times.
        int? promptTokens = null;
        long worstTokens = 0;
        long worstCost = 0;
        if (budgetCount > 0 || tokenRates)
        {
            ReadOnlySpan<byte> span = body.Span;
            promptTokens = span.IsEmpty ? 0 : PromptTokenCounter.Count(operation, model, span);
            long output = 0;
            if (operation != "embeddings")
            {
                // A count an upstream could read differently (a string, a fraction) leaves the worst case unknown.
                OutputCap requested = PromptTokenCounter.MaxOutputTokens(operation, span);
                if (requested.Problem is { } problem)
                {
                    return new Admission { Refusal = GatewayError.BadRequest(problem, "invalid_output_cap") };
                }

                output = requested.WorstCase(price?.MaxOutputTokens ?? options.DefaultMaxOutputTokens);
            }

            worstTokens = promptTokens.Value + output;
            worstCost = price is null ? 0 : CostCalculator.WorstCase(price, promptTokens.Value, output);
        }

        // 3. Budgets: every one in one atomic step.
        BudgetReservation reservation = BudgetReservation.None;
        if (budgetCount > 0)
        {
            var claims = new List<BudgetClaim>(budgetCount);
            foreach (GovernedLevel level in levels!)
            {
                AddClaims(claims, level.Owner, level.Budgets, worstCost, worstTokens);
            }

            BudgetDecision decision = await ledger.ReserveAsync(claims, cancellationToken);
            if (decision.Refusal is { } refusal)
            {
                return new Admission
                {
                    Refusal = BudgetMessages.Refusal(refusal),
                    RetryAfter = BudgetMessages.RetryAfter(refusal, time.GetUtcNow()),
                };
            }

            reservation = decision.Reservation!;
        }

        // 4. Rate limits of every level together.
        RateLease? lease = null;
        RateSnapshot? snapshot = null;
        if (rateCount > 0)
        {
            var rules = new List<RateLimitRule>(rateCount);
            foreach (GovernedLevel level in levels!)
            {
                foreach (RateLimit limit in level.Rates)
                {
                    rules.Add(new RateLimitRule(level.Owner.CounterKey, limit, level.Owner.Describe(), level.Owner.RateErrorType));
                }
            }

            RateDecision decision;
            try
            {
                decision = await rates.TryAcquireAsync(rules, promptTokens ?? 0, cancellationToken);
            }
            catch
            {
                // A client that leaves here (or a failing counter store) must not keep the budget held.
                await ledger.ReleaseAsync(reservation);
                throw;
            }

            if (!decision.Admitted)
            {
                await ledger.ReleaseAsync(reservation);
                return new Admission
                {
                    Refusal = RateMessages.Refusal(decision),
                    RetryAfter = decision.RetryAfter,
                    Rates = decision.Snapshot,
                };
            }

            lease = decision.Lease;
            snapshot = decision.Snapshot;
        }

        return new Admission
        {
            Reservation = reservation,
            Lease = lease,
            Rates = snapshot,
            Price = price,
            PromptTokens = promptTokens,
        };
    }

    // The levels in the reference's order of checks: the integration's grant, the virtual key or provider, the calling
    // API key, the workspace.
    private static List<GovernedLevel>? LevelsOf(Caller caller, Target target, WorkspaceRecord? workspace)
    {
        List<GovernedLevel>? levels = null;

        // The integration's grant to the provider's workspace: its limits apply on top of the provider's own.
        if (target.VirtualKey?.Integration is { } integration && integration.UsageLimits.Count + integration.RateLimits.Count > 0)
        {
            (levels ??= new(3)).Add(new GovernedLevel(
                BudgetOwner.ForIntegration(integration.Id, integration.Slug, integration.WorkspaceId),
                integration.UsageLimits, integration.RateLimits));
        }

        if (target.VirtualKey is { } key && (key.Record.UsageLimits.Count + key.Record.RateLimits.Count) > 0)
        {
            (levels ??= new(2)).Add(new GovernedLevel(
                BudgetOwner.ForVirtualKey(key.Record.Id, key.Record.Slug), key.Record.UsageLimits, key.Record.RateLimits));
        }

        ApiKeyRecord record = caller.Record;
        if (record.UsageLimits.Count + record.RateLimits.Count > 0)
        {
            (levels ??= new(2)).Add(new GovernedLevel(BudgetOwner.ForApiKey(caller.KeyId), record.UsageLimits, record.RateLimits));
        }

        if (workspace is not null && workspace.UsageLimits.Count + workspace.RateLimits.Count > 0)
        {
            (levels ??= new(3)).Add(new GovernedLevel(
                BudgetOwner.ForWorkspace(workspace.Id), workspace.UsageLimits, workspace.RateLimits));
        }

        return levels;
    }

    private static void AddClaims(
        List<BudgetClaim> claims, BudgetOwner owner, IReadOnlyList<UsageLimit> limits, long worstCost, long worstTokens)
    {
        foreach (UsageLimit limit in limits)
        {
            claims.Add(new BudgetClaim(owner, limit, limit.Type == UsageLimitType.Cost ? worstCost : worstTokens));
        }
    }

    private static bool HasCost(IReadOnlyList<UsageLimit> limits)
    {
        foreach (UsageLimit limit in limits)
        {
            if (limit.Type == UsageLimitType.Cost)
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasTokens(IReadOnlyList<RateLimit> limits)
    {
        foreach (RateLimit limit in limits)
        {
            if (limit.Type == RateLimitType.Tokens)
            {
                return true;
            }
        }

        return false;
    }

    private static GatewayError PriceMissing(string? model, string? slug) => new(
        412, "pricing_missing_error", "model_price_missing",
        $"A cost budget applies to this request, but Portcullis has no price for model '{Truncate(model)}', so it cannot " +
        "hold the cost against the budget. Add the price (USD per 1M tokens) with PUT /v1/admin/pricing " +
        $"{{\"model\":\"{Truncate(model)}\",{(slug is null ? "" : $"\"virtual_key\":\"{slug}\",")}\"input\":...,\"output\":...}} " +
        $"or `portcullis pricing set {Truncate(model)} --input ... --output ...`.");

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 100 ? value : value[..100];
}
