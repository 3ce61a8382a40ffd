using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Catalog;

/// <summary><c>portcullis integrations</c> and <c>portcullis providers</c>, run as the real program.</summary>
public sealed class CatalogCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Integrations_and_providers_commands_build_a_working_restricted_provider()
    {
        string providerKey = "sk-cli-catalog-" + Guid.NewGuid().ToString("n");

        CliResult created = await Cli(["integrations", "create", "--name", "cli team", "--provider", "openai",
            "--slug", "cli-team", "--key-env", "TEST_PROVIDER_KEY"], new() { ["TEST_PROVIDER_KEY"] = providerKey });
        CliResult models = await Cli(["integrations", "models", "cli-team", "--model", "gpt-4o-mini"]);
        CliResult granted = await Cli(["integrations", "workspaces", "cli-team", "--enable", "default"]);
        CliResult provider = await Cli(["providers", "create", "--name", "cli provider", "--integration", "cli-team",
            "--slug", "cli-provider"]);
        CliResult listed = await Cli(["providers", "list"]);
        CliResult shown = await Cli(["integrations", "get", "cli-team"]);

        foreach (CliResult result in new[] { created, models, granted, provider, listed, shown })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.DoesNotContain(providerKey, result.Output, StringComparison.Ordinal);
        }

        Assert.Contains("created cli-team", created.StandardOutput);
        Assert.Contains("gpt-4o-mini\ttrue", models.StandardOutput);
        Assert.Contains("cli-provider\tcli-team\topenai", listed.StandardOutput);

        // Fields read as written: a time keeps its '+', a name is not quoted.
        Assert.Contains("name: cli team", shown.StandardOutput);
        Assert.DoesNotContain("\\u002B", shown.StandardOutput);
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        using HttpResponseMessage refused = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(
            """{"model":"@cli-provider/gpt-4o","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(412, (int)refused.StatusCode);
    }

    [Fact]
    public async Task Integrations_delete_is_refused_while_used_and_exits_one()
    {
        string slug = await CatalogKit.CreateIntegrationAsync(fixture, "sk-cli-delete-0001");
        await CatalogKit.GrantDefaultWorkspaceAsync(fixture, slug);
        await CatalogKit.CreateProviderAsync(fixture, slug);

        CliResult refused = await Cli(["integrations", "delete", slug]);
        CliResult cascaded = await Cli(["integrations", "delete", slug, "--cascade"]);

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.True(cascaded.ExitCode == 0, cascaded.ToString());
        Assert.Equal(404, (int)(await fixture.Admin.GetAsync($"/v1/integrations/{slug}")).StatusCode);
    }

    [Fact]
    public async Task Integrations_create_names_the_default_provider_and_can_choose_its_slug_or_make_none()
    {
        CliResult named = await Cli(["integrations", "create", "--name", "cli default", "--provider", "openai",
            "--slug", "cli-default", "--workspace", "default", "--default-provider-slug", "cli-default-p",
            "--key-env", "TEST_PROVIDER_KEY"], new() { ["TEST_PROVIDER_KEY"] = "sk-cli-default-0001" });
        CliResult none = await Cli(["integrations", "create", "--name", "cli none", "--provider", "openai",
            "--slug", "cli-none", "--workspace", "default", "--no-default-provider",
            "--key-env", "TEST_PROVIDER_KEY"], new() { ["TEST_PROVIDER_KEY"] = "sk-cli-none-0001" });

        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Contains("\"@cli-default-p/<model>\"", named.Output, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await fixture.Admin.GetAsync("/v1/providers/cli-default-p")).StatusCode);
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.DoesNotContain("default provider", none.Output, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await fixture.Admin.GetAsync("/v1/providers/cli-none")).StatusCode);
    }

    private Task<CliResult> Cli(string[] args, Dictionary<string, string?>? environment = null) =>
        fixture.RunCliAsync(args, environment);
}
