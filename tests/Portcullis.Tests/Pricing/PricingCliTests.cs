using System.Text.Json.Nodes;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Pricing;

/// <summary><c>portcullis pricing</c> run as the real program against a real gateway: set, list and delete round trip.</summary>
public sealed class PricingCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Set_list_and_delete_an_organisation_price_round_trip()
    {
        CliResult set = await Cli(["pricing", "set", "cli-model", "--input", "10", "--output", "20", "--cached-input", "1",
            "--max-output-tokens", "4096"]);
        CliResult listed = await Cli(["pricing", "list", "--model", "cli-model", "--json"]);
        CliResult text = await Cli(["pricing", "list"]);
        CliResult deleted = await Cli(["pricing", "delete", "cli-model"]);
        CliResult afterDelete = await Cli(["pricing", "list", "--model", "cli-model", "--json"]);
        CliResult deletedAgain = await Cli(["pricing", "delete", "cli-model"]);

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains(
            "set cli-model: input 10, cached input 1, output 20 USD per 1M tokens", set.StandardOutput, StringComparison.Ordinal);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        JsonNode row = Assert.Single(JsonNode.Parse(listed.StandardOutput)!["data"]!.AsArray())!;
        Assert.Equal(20m, row["output"]!.GetValue<decimal>());
        Assert.Equal(4096, row["max_output_tokens"]!.GetValue<int>());
        Assert.Equal("override", row["source"]!.GetValue<string>());
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("cli-model\t-\t10\t1\t20\t4096\toverride", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("gpt-4o-mini\t-\t0.15\t0.075\t0.6\t16384\tshipped", text.StandardOutput, StringComparison.Ordinal);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("deleted the price of cli-model", deleted.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(afterDelete.StandardOutput)!["data"]!.AsArray());
        Assert.True(deletedAgain.ExitCode == 1, deletedAgain.ToString());
    }

    [Fact]
    public async Task A_virtual_key_price_is_set_listed_and_deleted_for_that_key()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-cli-" + Guid.NewGuid().ToString("n"), "cli priced");

        CliResult set = await Cli(
            ["pricing", "set", "gpt-4o", "--input", "0.5", "--output", "1.5", "--virtual-key", slug, "--json"]);
        CliResult forKey = await Cli(["pricing", "list", "--virtual-key", slug, "--model", "gpt-4o-2024-08-06", "--json"]);
        CliResult forOrganisation = await Cli(["pricing", "list", "--model", "gpt-4o", "--json"]);
        CliResult deleted = await Cli(["pricing", "delete", "gpt-4o", "--virtual-key", slug]);
        CliResult afterDelete = await Cli(["pricing", "list", "--virtual-key", slug, "--model", "gpt-4o", "--json"]);

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal(slug, JsonNode.Parse(set.StandardOutput)!["virtual_key"]!.GetValue<string>());
        JsonNode own = Assert.Single(JsonNode.Parse(forKey.StandardOutput)!["data"]!.AsArray())!;
        Assert.Equal("virtual_key", own["source"]!.GetValue<string>());
        Assert.Equal(0.5m, own["input"]!.GetValue<decimal>());
        JsonArray organisation = JsonNode.Parse(forOrganisation.StandardOutput)!["data"]!.AsArray();
        Assert.Equal(["shipped", "virtual_key"], organisation.Select(r => r!["source"]!.GetValue<string>()));
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains($"deleted the price of gpt-4o for {slug}", deleted.StandardOutput, StringComparison.Ordinal);
        JsonNode restored = Assert.Single(JsonNode.Parse(afterDelete.StandardOutput)!["data"]!.AsArray())!;
        Assert.Equal("shipped", restored["source"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("pricing", "set", "m", "--output", "1")]
    [InlineData("pricing", "set", "m", "--input", "one", "--output", "1")]
    [InlineData("pricing", "delete")]
    public async Task Missing_or_malformed_arguments_are_a_usage_error(params string[] args)
    {
        CliResult result = await Cli(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.DoesNotContain("System.", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_price_that_is_not_a_number_is_explained_in_plain_words()
    {
        CliResult result = await Cli(["pricing", "set", "m", "--input", "abc", "--output", "1"]);

        Assert.Contains("'abc' is not a number", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_price_the_gateway_refuses_exits_with_one_and_says_why()
    {
        CliResult result = await Cli(["pricing", "set", "m", "--input", "-1", "--output", "1"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("must not be negative", result.StandardError, StringComparison.Ordinal);
    }

    private Task<CliResult> Cli(string[] args) => fixture.RunCliAsync(args);
}
