using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary><c>portcullis workspaces ...</c> and <c>--workspace</c> on keys, run as the real program against a real gateway.</summary>
public sealed class WorkspaceCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Workspaces_are_created_with_limits_listed_updated_and_deleted_with_force_from_the_command_line()
    {
        CliResult created = await Cli(["workspaces", "create", "--name", "cli team", "--budget-tokens", "5000",
            "--rate-limit", "30/rpm", "--json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        string id = JsonNode.Parse(created.StandardOutput)!["id"]!.GetValue<string>();

        CliResult key = await Cli(["virtual-keys", "create", "--name", "cli ws key", "--provider", "openai", "--key-env", "K",
            "--workspace", id, "--json"], new() { ["K"] = "sk-cli-ws-" + Guid.NewGuid().ToString("n") });
        CliResult apiKey = await Cli(["api-keys", "create", "--name", "cli ws app", "--type", "workspace", "--workspace", id]);
        CliResult keys = await Cli(["virtual-keys", "list", "--workspace", id]);
        CliResult others = await Cli(["virtual-keys", "list", "--workspace", "default"]);
        CliResult list = await Cli(["workspaces", "list"]);
        CliResult updated = await Cli(["workspaces", "update", id, "--description", "from the cli", "--no-rate-limits"]);
        JsonNode read = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/admin/workspaces/{id}"))!;
        CliResult refused = await Cli(["workspaces", "delete", id]);
        CliResult deleted = await Cli(["workspaces", "delete", id, "--force"]);

        string slug = JsonNode.Parse(key.StandardOutput)!["slug"]!.GetValue<string>();
        Assert.True(key.ExitCode == 0 && apiKey.ExitCode == 0, key + "\n" + apiKey);
        Assert.Contains(slug, keys.StandardOutput);
        Assert.DoesNotContain(slug, others.StandardOutput);
        Assert.Contains(id, list.StandardOutput);
        Assert.Contains("0/5000 tokens", list.StandardOutput);
        Assert.True(updated.ExitCode == 0, updated.ToString());
        Assert.Equal("from the cli", read["description"]!.GetValue<string>());
        Assert.Null(read["rate_limits"]);
        Assert.Equal(5000, read["usage_limits"]!["credit_limit"]!.GetValue<int>());
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("force", refused.StandardError + refused.StandardOutput);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/virtual-keys/{slug}")).StatusCode);
    }

    private Task<CliResult> Cli(string[] args, Dictionary<string, string?>? environment = null) =>
        fixture.RunCliAsync(args, environment);
}
