using Portcullis.Pricing;
using Portcullis.Usage;

namespace Portcullis.Tests.Pricing;

/// <summary>Cost arithmetic in exact picodollars, with the test price table of the shared fault cases.</summary>
public sealed class CostCalculatorTests
{
    // mock-model: input $10, cached input $1, output $20 per 1M tokens.
    private static readonly ModelPrice MockModel = new(
        Money.PerMillionToPerToken(10m), Money.PerMillionToPerToken(1m), Money.PerMillionToPerToken(20m), 4096);

    [Fact]
    public void The_reference_call_of_1000_prompt_and_500_completion_tokens_costs_exactly_two_cents()
    {
        long cost = CostCalculator.Compute(new TokenUsage(1000, 500, 1500), MockModel);

        Assert.Equal(Money.FromDollars(0.02m), cost);
        Assert.Equal(20_000_000_000, cost);
    }

    [Fact]
    public void Cached_prompt_tokens_are_part_of_the_prompt_and_priced_at_the_cached_rate()
    {
        // 600 uncached at $10, 400 cached at $1, 500 output at $20 per 1M.
        long cost = CostCalculator.Compute(new TokenUsage(1000, 500, 1500, CachedPromptTokens: 400), MockModel);

        Assert.Equal(Money.FromDollars(0.006m + 0.0004m + 0.01m), cost);
        Assert.True(cost < CostCalculator.Compute(new TokenUsage(1000, 500, 1500), MockModel));
    }

    [Fact]
    public void More_cached_tokens_than_prompt_tokens_are_capped_at_the_prompt()
    {
        long cost = CostCalculator.Compute(new TokenUsage(100, 0, 100, CachedPromptTokens: 5000), MockModel);

        Assert.Equal(100 * MockModel.CachedInputPerToken, cost);
    }

    [Fact]
    public void A_missing_side_is_taken_from_the_total()
    {
        Assert.Equal(
            CostCalculator.Compute(new TokenUsage(1000, 500, 1500), MockModel),
            CostCalculator.Compute(new TokenUsage(1000, null, 1500), MockModel));
        Assert.Equal(
            CostCalculator.Compute(new TokenUsage(1000, 500, 1500), MockModel),
            CostCalculator.Compute(new TokenUsage(null, 500, 1500), MockModel));
    }

    [Fact]
    public void A_bare_total_is_priced_at_the_dearer_rate_so_it_is_never_undercounted()
    {
        long cost = CostCalculator.Compute(new TokenUsage(null, null, 1500), MockModel);

        Assert.Equal(1500 * MockModel.OutputPerToken, cost);
    }

    [Fact]
    public void Embeddings_cost_their_input_only()
    {
        ModelPrice embedding = new(Money.PerMillionToPerToken(0.02m), Money.PerMillionToPerToken(0.02m), 0, null);

        long cost = CostCalculator.Compute(new TokenUsage(1_000_000, null, 1_000_000), embedding);

        Assert.Equal(Money.FromDollars(0.02m), cost);
    }

    [Fact]
    public void No_usage_costs_nothing()
    {
        Assert.Equal(0, CostCalculator.Compute(default, MockModel));
    }

    [Fact]
    public void Worst_case_prices_every_prompt_token_uncached_and_the_whole_output_allowance()
    {
        long worst = CostCalculator.Compute(new TokenUsage(1000, 4096, 5096), MockModel);

        Assert.Equal(worst, CostCalculator.WorstCase(MockModel, 1000, 4096));
        Assert.Equal(Money.FromDollars(0.01m + 0.08192m), worst);
    }

    [Fact]
    public void Sums_too_large_for_a_long_stay_at_the_maximum_instead_of_wrapping()
    {
        long most = Money.PerMillionToPerToken(PriceRules.MaxDollarsPerMillion);
        ModelPrice dearest = new(most, 0, most, null);

        Assert.Equal(long.MaxValue, CostCalculator.WorstCase(dearest, long.MaxValue, long.MaxValue));
        Assert.Equal(long.MaxValue, CostCalculator.Compute(new TokenUsage(int.MaxValue, int.MaxValue, null), dearest));
        Assert.Equal(0, CostCalculator.WorstCase(dearest, -5, -5));
    }
}
