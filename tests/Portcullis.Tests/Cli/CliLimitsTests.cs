using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Budgets;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Cli;

/// <summary>
/// Budgets and rate limits from the command line, run as the real program against a real gateway: the flags become the
/// admin API's <c>usage_limits</c> and <c>rate_limits</c> (checked by reading the key back over the admin API), updates
/// change only what they name, removal and <c>--reset-usage</c> work, a wrong shape exits 2 before anything is sent, a
/// value the gateway refuses exits 1 with its message, and <c>get</c> and <c>list</c> show usage to a person.
/// </summary>
public sealed class CliLimitsTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Virtual_keys_create_turns_budget_and_rate_limit_flags_into_the_admin_fields()
    {
        CliResult result = await Cli(["virtual-keys", "create", "--name", "budgeted", "--provider", "openai", "--key-env", "K",
            "--budget", "25", "--alert-threshold", "20", "--reset", "monthly",
            "--rate-limit", "60/rpm", "--rate-limit", "100000tokens/rpm", "--json"], new() { ["K"] = NewProviderKey() });

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await VirtualKeyAsync(JsonNode.Parse(result.StandardOutput)!["slug"]!.GetValue<string>());
        JsonNode budget = key["usage_limits"]!;
        Assert.Equal("cost", budget["type"]!.GetValue<string>());
        Assert.Equal(25m, budget["credit_limit"]!.GetValue<decimal>());
        Assert.Equal(20m, budget["alert_threshold"]!.GetValue<decimal>());
        Assert.Equal("monthly", budget["periodic_reset"]!.GetValue<string>());
        Assert.Null(budget["periodic_reset_days"]);
        Assert.Equal("hard", budget["enforcement"]!.GetValue<string>());
        Assert.Equal(["requests rpm 60", "tokens rpm 100000"], RateLimitsOf(key));
    }

    [Fact]
    public async Task Virtual_keys_create_sets_a_soft_token_budget_that_resets_every_n_days()
    {
        CliResult result = await Cli(["virtual-keys", "create", "--name", "tokens", "--provider", "openai", "--key-env", "K",
            "--budget-tokens", "100000", "--reset", "7d", "--soft", "--json"], new() { ["K"] = NewProviderKey() });

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await VirtualKeyAsync(JsonNode.Parse(result.StandardOutput)!["slug"]!.GetValue<string>());
        JsonNode budget = key["usage_limits"]!;
        Assert.Equal("tokens", budget["type"]!.GetValue<string>());
        Assert.Equal(100000, budget["credit_limit"]!.GetValue<long>());
        Assert.Null(budget["periodic_reset"]);
        Assert.Equal(7, budget["periodic_reset_days"]!.GetValue<int>());
        Assert.Equal("soft", budget["enforcement"]!.GetValue<string>());
        Assert.Null(key["rate_limits"]);
    }

    [Fact]
    public async Task Virtual_keys_update_changes_the_named_budget_and_rate_limit_and_keeps_the_rest()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult result = await Cli(["virtual-keys", "update", slug, "--budget", "50", "--rate-limit", "120/rpm"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"updated {slug}", result.StandardOutput, StringComparison.Ordinal);
        JsonNode key = await VirtualKeyAsync(slug);
        JsonNode cost = BudgetOf(key, "cost");
        Assert.Equal(50m, cost["credit_limit"]!.GetValue<decimal>());
        Assert.Equal(20m, cost["alert_threshold"]!.GetValue<decimal>());
        Assert.Equal("monthly", cost["periodic_reset"]!.GetValue<string>());
        Assert.Equal(5000, BudgetOf(key, "tokens")["credit_limit"]!.GetValue<long>());
        Assert.Equal(["requests rpm 120", "tokens rpm 100000"], RateLimitsOf(key));
    }

    [Fact]
    public async Task Virtual_keys_update_without_a_budget_named_changes_every_budget()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult result = await Cli(["virtual-keys", "update", slug, "--soft", "--reset", "weekly"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await VirtualKeyAsync(slug);
        foreach (string type in (string[])["cost", "tokens"])
        {
            Assert.Equal("soft", BudgetOf(key, type)["enforcement"]!.GetValue<string>());
            Assert.Equal("weekly", BudgetOf(key, type)["periodic_reset"]!.GetValue<string>());
        }

        Assert.Equal(20m, BudgetOf(key, "cost")["alert_threshold"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task An_alert_threshold_that_could_mean_either_budget_is_a_usage_error()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult result = await Cli(["virtual-keys", "update", slug, "--alert-threshold", "10"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--budget-tokens", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(20m, BudgetOf(await VirtualKeyAsync(slug), "cost")["alert_threshold"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Virtual_keys_update_with_no_budgets_and_no_rate_limits_removes_them()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult result = await Cli(["virtual-keys", "update", slug, "--no-budgets", "--no-rate-limits"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await VirtualKeyAsync(slug);
        Assert.Null(key["usage_limits"]);
        Assert.Null(key["rate_limits"]);
    }

    [Fact]
    public async Task No_budgets_and_no_rate_limits_with_new_flags_replace_everything()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult result = await Cli(
            ["virtual-keys", "update", slug, "--no-budgets", "--budget", "3", "--no-rate-limits", "--rate-limit", "5/rps"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await VirtualKeyAsync(slug);
        JsonObject budget = Assert.IsType<JsonObject>(key["usage_limits"]);
        Assert.Equal("cost", budget["type"]!.GetValue<string>());
        Assert.Equal(3m, budget["credit_limit"]!.GetValue<decimal>());
        Assert.Null(budget["alert_threshold"]);
        Assert.Equal(["requests rps 5"], RateLimitsOf(key));
    }

    [Fact]
    public async Task Usage_limits_and_rate_limits_json_are_sent_as_given_and_null_removes_them()
    {
        string slug = await KeyWithTwoBudgetsAsync();

        CliResult set = await Cli(["virtual-keys", "update", slug,
            "--usage-limits", """[{"type":"tokens","credit_limit":900,"enforcement":"soft"}]""",
            "--rate-limits", """[{"type":"requests","unit":"rph","value":7}]"""]);
        JsonNode afterSet = await VirtualKeyAsync(slug);
        CliResult removed = await Cli(["virtual-keys", "update", slug, "--usage-limits", "null", "--rate-limits", "null"]);
        JsonNode afterRemove = await VirtualKeyAsync(slug);

        Assert.True(set.ExitCode == 0, set.ToString());
        JsonObject budget = Assert.IsType<JsonObject>(afterSet["usage_limits"]);
        Assert.Equal("tokens", budget["type"]!.GetValue<string>());
        Assert.Equal(900, budget["credit_limit"]!.GetValue<long>());
        Assert.Equal("soft", budget["enforcement"]!.GetValue<string>());
        Assert.Equal(["requests rph 7"], RateLimitsOf(afterSet));
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Null(afterRemove["usage_limits"]);
        Assert.Null(afterRemove["rate_limits"]);
    }

    [Fact]
    public async Task Virtual_keys_update_with_reset_usage_starts_the_budget_from_zero()
    {
        string slug = await CreateWithCliAsync("--budget-tokens", "100000");
        await SpendAsync(slug, 1000, 500);

        CliResult result = await Cli(["virtual-keys", "update", slug, "--reset-usage"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode budget = (await VirtualKeyAsync(slug))["usage_limits"]!;
        Assert.Equal(0, budget["current_usage"]!.GetValue<long>());
        Assert.Equal(1500, budget["total_usage"]!.GetValue<long>());
        Assert.Equal(100000, budget["credit_limit"]!.GetValue<long>());
    }

    [Fact]
    public async Task Virtual_keys_get_and_list_show_each_budgets_usage_limit_status_and_next_reset()
    {
        string slug = await CreateWithCliAsync(
            "--budget-tokens", "100000", "--alert-threshold", "80000", "--reset", "weekly", "--rate-limit", "60/rpm");
        await SpendAsync(slug, 1000, 500);
        string nextReset = (await VirtualKeyAsync(slug))["usage_limits"]!["next_usage_reset_at"]!.GetValue<string>();

        CliResult get = await Cli(["virtual-keys", "get", slug]);
        CliResult list = await Cli(["virtual-keys", "list"]);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("usage_limits:", get.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tokens: 1500 of 100000 tokens used (1.5%), active, hard; alert at 80000 tokens; resets weekly, " +
            $"next reset {nextReset}", get.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  60 requests per minute (rpm)", get.StandardOutput, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, list.ToString());
        string row = list.StandardOutput.Split('\n').Single(l => l.StartsWith(slug + "\t", StringComparison.Ordinal));
        Assert.Contains("\t1500/100000 tokens\t", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exhausted_budget_reads_exhausted_in_get()
    {
        string slug = await CreateWithCliAsync("--budget-tokens", "1500");
        await SpendAsync(slug, 1000, 500);

        CliResult get = await Cli(["virtual-keys", "get", slug]);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("tokens: 1500 of 1500 tokens used (100%), exhausted, hard; no alert; never resets",
            get.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate-limit", "sixty/rpm")]
    [InlineData("--rate-limit", "60")]
    [InlineData("--reset", "fortnightly")]
    [InlineData("--budget", "lots")]
    [InlineData("--alert-threshold", "most")]
    [InlineData("--usage-limits", "{not json")]
    [InlineData("--soft", "--hard")]
    [InlineData("--budget", "5", "--usage-limits", "{}")]
    [InlineData("--rate-limits", "[]", "--rate-limit", "1/rpm")]
    [InlineData("--budget", "5", "--budget-tokens", "10", "--alert-threshold", "1")]
    [InlineData("--no-budgets", "--soft")]
    public async Task A_malformed_limit_option_exits_two_and_changes_nothing(params string[] options)
    {
        string slug = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "untouched");

        CliResult result = await Cli(["virtual-keys", "update", slug, .. options]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("portcullis: ", result.StandardError, StringComparison.Ordinal);
        JsonNode key = await VirtualKeyAsync(slug);
        Assert.Null(key["usage_limits"]);
        Assert.Null(key["rate_limits"]);
    }

    [Fact]
    public async Task Budget_settings_without_a_budget_on_create_exit_two_and_create_nothing()
    {
        string name = "no budget " + Guid.NewGuid().ToString("n")[..8];

        CliResult result = await Cli(["virtual-keys", "create", "--name", name, "--provider", "openai", "--key-env", "K",
            "--reset", "monthly"], new() { ["K"] = NewProviderKey() });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--budget", result.StandardError, StringComparison.Ordinal);
        JsonNode all = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/virtual-keys?page_size=500"))!;
        Assert.DoesNotContain(all["data"]!.AsArray(), k => k!["name"]!.GetValue<string>() == name);
    }

    [Theory]
    [InlineData("usage_limits[0].credit_limit must be greater than 0", "--budget", "0")]
    [InlineData("usage_limits[0].credit_limit has more than 6 decimals", "--budget", "0.0000001")]
    [InlineData("usage_limits[0].periodic_reset_days must be at most 365", "--budget", "5", "--reset", "400d")]
    [InlineData("alert_threshold must be below credit_limit", "--budget", "5", "--alert-threshold", "5")]
    [InlineData("unit must be one of", "--rate-limit", "5/rpx")]
    [InlineData("type must be one of", "--rate-limit", "5bytes/rpm")]
    [InlineData("value must be a whole number", "--rate-limit", "1.5/rpm")]
    public async Task A_limit_the_gateway_refuses_exits_one_with_its_message(string message, params string[] options)
    {
        string slug = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "refused");

        CliResult result = await Cli(["virtual-keys", "update", slug, .. options]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("400", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
        JsonNode key = await VirtualKeyAsync(slug);
        Assert.Null(key["usage_limits"]);
        Assert.Null(key["rate_limits"]);
    }

    [Fact]
    public async Task Updating_the_limits_of_an_unknown_key_exits_one_from_the_read()
    {
        string unknown = "no-such-key-" + Guid.NewGuid().ToString("n")[..8];

        CliResult result = await Cli(["virtual-keys", "update", unknown, "--budget", "5"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("404", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_keys_create_turns_limit_flags_into_the_admin_fields()
    {
        CliResult result = await Cli(["api-keys", "create", "--name", "limited app",
            "--budget", "5", "--reset", "weekly", "--rate-limit", "10/rps", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode key = await ApiKeyAsync(JsonNode.Parse(result.StandardOutput)!["id"]!.GetValue<string>());
        JsonNode budget = key["usage_limits"]!;
        Assert.Equal("cost", budget["type"]!.GetValue<string>());
        Assert.Equal(5m, budget["credit_limit"]!.GetValue<decimal>());
        Assert.Equal("weekly", budget["periodic_reset"]!.GetValue<string>());
        Assert.Equal(["requests rps 10"], RateLimitsOf(key));
    }

    [Fact]
    public async Task Api_keys_update_changes_name_description_scopes_status_and_limits()
    {
        (string id, _) = await fixture.CreateApiKeyAsync("completions.write");

        CliResult changed = await Cli(["api-keys", "update", id, "--name", "renamed", "--description", "team a",
            "--scopes", "completions.write,logs.list", "--budget-tokens", "1000", "--alert-threshold", "800",
            "--rate-limit", "100000tokens/rpd"]);
        JsonNode afterChange = await ApiKeyAsync(id);
        CliResult get = await Cli(["api-keys", "get", id]);
        CliResult disabled = await Cli(["api-keys", "update", id, "--status", "disabled", "--no-budgets", "--no-rate-limits"]);
        JsonNode afterDisable = await ApiKeyAsync(id);

        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains($"updated {id}", changed.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("renamed", afterChange["name"]!.GetValue<string>());
        Assert.Equal("team a", afterChange["description"]!.GetValue<string>());
        Assert.Equal(["completions.write", "logs.list"], afterChange["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(1000, afterChange["usage_limits"]!["credit_limit"]!.GetValue<long>());
        Assert.Equal(800, afterChange["usage_limits"]!["alert_threshold"]!.GetValue<long>());
        Assert.Equal(["tokens rpd 100000"], RateLimitsOf(afterChange));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("tokens: 0 of 1000 tokens used (0%), active, hard; alert at 800 tokens; never resets",
            get.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  100000 tokens per day (rpd)", get.StandardOutput, StringComparison.Ordinal);
        Assert.True(disabled.ExitCode == 0, disabled.ToString());
        Assert.Equal("disabled", afterDisable["status"]!.GetValue<string>());
        Assert.Null(afterDisable["usage_limits"]);
        Assert.Null(afterDisable["rate_limits"]);
    }

    [Fact]
    public async Task Api_keys_update_with_an_unknown_scope_exits_one_with_the_gateway_message()
    {
        (string id, _) = await fixture.CreateApiKeyAsync("completions.write");

        CliResult result = await Cli(["api-keys", "update", id, "--scopes", "no.such.scope"]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Unknown scope 'no.such.scope'", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("virtual-keys", "create")]
    [InlineData("virtual-keys", "update")]
    [InlineData("api-keys", "create")]
    [InlineData("api-keys", "update")]
    public async Task Help_lists_the_limit_options(string noun, string verb)
    {
        CliResult result = await Cli([noun, verb, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] expected = verb == "update"
            ? ["--budget", "--budget-tokens", "--rate-limit", "--usage-limits", "--no-budgets", "--no-rate-limits", "--reset-usage"]
            : ["--budget", "--budget-tokens", "--alert-threshold", "--reset", "--soft", "--rate-limit", "--rate-limits"];
        foreach (string option in expected)
        {
            Assert.Contains(option, result.StandardOutput, StringComparison.Ordinal);
        }
    }

    // A key with a monthly $25 budget alerting at $20, a 5000-token budget, 60 requests and 100000 tokens a minute.
    private Task<string> KeyWithTwoBudgetsAsync() => fixture.CreateVirtualKeyAsync(NewProviderKey(), "two budgets", new()
    {
        ["usage_limits"] = JsonNode.Parse("""
            [{"type":"cost","credit_limit":25,"alert_threshold":20,"periodic_reset":"monthly"},
             {"type":"tokens","credit_limit":5000}]
            """),
        ["rate_limits"] = JsonNode.Parse("""
            [{"type":"requests","unit":"rpm","value":60},{"type":"tokens","unit":"rpm","value":100000}]
            """),
    });

    private async Task<string> CreateWithCliAsync(params string[] options)
    {
        CliResult result = await Cli(
            ["virtual-keys", "create", "--name", "spent", "--provider", "openai", "--key-env", "K", "--json", .. options],
            new() { ["K"] = NewProviderKey() });
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonNode.Parse(result.StandardOutput)!["slug"]!.GetValue<string>();
    }

    // One completion whose upstream reports the given tokens; waits until the key's budget has counted them.
    private async Task SpendAsync(string slug, int prompt, int completion)
    {
        fixture.Mock.Enqueue(MockScript.Json(200, BudgetKit.ChatAnswer(prompt, completion)).WithUsage(prompt, completion));
        using HttpClient client = fixture.NewClient(GatewayFixture.AdminKeyValue);
        using HttpResponseMessage response = await client.SendAsync(BudgetKit.Chat(slug, BudgetKit.ChatBody(maxTokens: 500)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await VirtualKeyAsync(slug))["usage_limits"]?["total_usage"]?.GetValue<long>() != prompt + completion)
        {
            Assert.True(DateTime.UtcNow < deadline, "The budget never counted the completion.");
            await Task.Delay(50);
        }
    }

    private static JsonNode BudgetOf(JsonNode key, string type) =>
        key["usage_limits"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == type)!;

    private static string[] RateLimitsOf(JsonNode key) =>
        [.. key["rate_limits"]!.AsArray().Select(l => $"{l!["type"]} {l["unit"]} {l["value"]}").Order(StringComparer.Ordinal)];

    private async Task<JsonNode> VirtualKeyAsync(string slug) =>
        (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/virtual-keys/{slug}"))!;

    private async Task<JsonNode> ApiKeyAsync(string id) => (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;

    private Task<CliResult> Cli(string[] args, Dictionary<string, string?>? environment = null) =>
        fixture.RunCliAsync(args, environment);

    private static string NewProviderKey() => "sk-limits-" + Guid.NewGuid().ToString("n");
}
