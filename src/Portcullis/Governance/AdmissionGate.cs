using Portcullis.ApiKeys;
using Portcullis.Budgets;
using Portcullis.Forwarding;
using Portcullis.Hosting;
using Portcullis.Limits;
using Portcullis.Pricing;
using Portcullis.Usage.Tokens;

namespace Portcullis.Governance;

/// <summary>
/// Step 5 of the data plane: every budget and rate limit that applies to a request (its virtual key's and its API
/// key's) is checked before the upstream call. Budgets reserve the request's worst-case cost or tokens, all in one
/// atomic step; rate limits take one request and the expected tokens. Either refuses the whole request, and a budget
/// reservation is given back when a rate limit refuses.
/// </summary>
internal sealed class AdmissionGate(
    IUsageLedger ledger, IRateLimitCounters rates, PricingCatalog pricing, GatewayOptions options, TimeProvider time)
{
    public async ValueTask<Admission> AdmitAsync(
        Caller caller, Target target, string operation, string? model, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        // Listing models costs nothing: only request rate limits apply to it.
        bool metered = operation != "models";
        IReadOnlyList<UsageLimit> keyBudgets = metered ? target.VirtualKey?.Record.UsageLimits ?? [] : [];
        IReadOnlyList<UsageLimit> callerBudgets = metered ? caller.Record.UsageLimits : [];
        IReadOnlyList<RateLimit> keyRates = target.VirtualKey?.Record.RateLimits ?? [];
        IReadOnlyList<RateLimit> callerRates = caller.Record.RateLimits;
        ModelPrice? price = metered ? pricing.Find(target.VirtualKey?.Record.Slug, model) : null;
        if (keyBudgets.Count + callerBudgets.Count + keyRates.Count + callerRates.Count == 0)
        {
            return price is null ? Admission.Free : new Admission { Price = price };
        }

        // 1. A cost budget needs a price: an unpriced model is refused, never counted as free.
        bool costBudget = HasCost(keyBudgets) || HasCost(callerBudgets);
        if (costBudget && price is null)
        {
            return new Admission { Refusal = PriceMissing(model, target.VirtualKey?.Record.Slug) };
        }

        // 2. The worst case: the input tokens counted here, and the most output the request may ask for, n times.
        bool tokenRates = metered && (HasTokens(keyRates) || HasTokens(callerRates));
        int? promptTokens = null;
        long worstTokens = 0;
        long worstCost = 0;
        if (keyBudgets.Count + callerBudgets.Count > 0 || tokenRates)
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
        if (keyBudgets.Count + callerBudgets.Count > 0)
        {
            var claims = new List<BudgetClaim>(keyBudgets.Count + callerBudgets.Count);
            if (target.VirtualKey is { } key)
            {
                AddClaims(claims, BudgetOwner.ForVirtualKey(key.Record.Id, key.Record.Slug), keyBudgets, worstCost, worstTokens);
            }

            AddClaims(claims, BudgetOwner.ForApiKey(caller.KeyId), callerBudgets, worstCost, worstTokens);
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

        // 4. Rate limits, the virtual key's and the caller's together.
        RateLease? lease = null;
        RateSnapshot? snapshot = null;
        if (keyRates.Count + callerRates.Count > 0)
        {
            var rules = new List<RateLimitRule>(keyRates.Count + callerRates.Count);
            if (target.VirtualKey is { } key)
            {
                foreach (RateLimit limit in keyRates)
                {
                    rules.Add(new RateLimitRule("vk:" + key.Record.Id, limit, $"virtual key '{key.Record.Slug}'",
                        "virtual_key_rate_limit_error"));
                }
            }

            foreach (RateLimit limit in callerRates)
            {
                rules.Add(new RateLimitRule("ak:" + caller.KeyId, limit, $"API key '{caller.KeyId}'", "api_key_rate_limit_error"));
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
