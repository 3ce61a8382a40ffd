using Portcullis.Pricing;

namespace Portcullis.Tests.Pricing;

/// <summary>The price list shipped inside the assembly: it loads, covers the common models, and holds sane numbers.</summary>
public sealed class ShippedPricesTests
{
    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4o-mini")]
    [InlineData("gpt-4.1")]
    [InlineData("gpt-4.1-mini")]
    [InlineData("gpt-4.1-nano")]
    [InlineData("o1")]
    [InlineData("o3")]
    [InlineData("o3-mini")]
    [InlineData("o4-mini")]
    [InlineData("gpt-5")]
    [InlineData("gpt-5-mini")]
    [InlineData("gpt-5-nano")]
    [InlineData("gpt-3.5-turbo")]
    [InlineData("gpt-35-turbo")]
    [InlineData("gpt-4-turbo")]
    [InlineData("text-embedding-3-small")]
    [InlineData("text-embedding-3-large")]
    [InlineData("text-embedding-ada-002")]
    [InlineData("claude-opus-4-1")]
    [InlineData("claude-opus-4-5")]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4")]
    [InlineData("claude-haiku-4-5")]
    [InlineData("claude-3-7-sonnet")]
    [InlineData("claude-3-5-haiku")]
    public void Common_models_ship_with_a_price(string model)
    {
        Assert.True(ShippedPrices.Entries.TryGetValue(model, out PriceEntry? entry), $"{model} has no shipped price");
        Assert.Equal(PriceSource.Shipped, entry.Price.Source);
        Assert.True(entry.Price.InputPerToken > 0, model);
    }

    [Fact]
    public void Every_shipped_price_is_sane()
    {
        Assert.True(ShippedPrices.Entries.Count >= 40);
        Assert.All(ShippedPrices.Entries.Values, e =>
        {
            Assert.Equal(e.Model.ToLowerInvariant(), e.Model);
            Assert.Null(e.VirtualKey);
            Assert.InRange(e.Price.CachedInputPerToken, 0, e.Price.InputPerToken);
            Assert.True(e.Price.MaxOutputTokens is null or > 0, e.Model);
            bool embedding = e.Model.Contains("embedding", StringComparison.Ordinal);
            Assert.Equal(embedding, e.Price.OutputPerToken == 0);
            Assert.Equal(embedding, e.Price.MaxOutputTokens is null);
        });
    }

    [Fact]
    public void Known_list_prices_are_exact()
    {
        ModelPrice mini = ShippedPrices.Entries["gpt-4o-mini"].Price;
        ModelPrice haiku = ShippedPrices.Entries["claude-haiku-4-5"].Price;

        Assert.Equal((150_000, 75_000, 600_000), (mini.InputPerToken, mini.CachedInputPerToken, mini.OutputPerToken));
        Assert.Equal((1_000_000, 100_000, 5_000_000), (haiku.InputPerToken, haiku.CachedInputPerToken, haiku.OutputPerToken));
        ModelPrice turbo = ShippedPrices.Entries["gpt-3.5-turbo"].Price;
        Assert.Equal(turbo.InputPerToken, turbo.CachedInputPerToken);
    }

    [Fact]
    public void The_readme_names_the_date_the_prices_were_checked()
    {
        string readme = File.ReadAllText(Path.Combine(Infrastructure.SharedData.RepositoryRoot, "README.md"));

        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", ShippedPrices.CheckedOn);
        Assert.Contains(ShippedPrices.CheckedOn, readme, StringComparison.Ordinal);
    }
}
