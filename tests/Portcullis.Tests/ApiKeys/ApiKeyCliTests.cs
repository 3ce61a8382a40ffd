using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Cli;
using Portcullis.Tests.Cli;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.ApiKeys;

/// <summary>
/// <c>portcullis api-keys</c> run as the real program: allow-lists and expiry on create and update, clearing them, and
/// <c>rotate</c> printing the new key once with the transition asked for.
/// </summary>
public sealed class ApiKeyCliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Create_and_update_set_and_clear_the_allow_lists_and_the_expiry()
    {
        CliResult created = await Cli(["api-keys", "create", "--name", "limited", "--allowed-models", "mock-model, gpt-4o",
            "--allowed-virtual-keys", "team-a", "--expires-at", "2030-01-31T00:00:00Z", "--json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        string id = JsonNode.Parse(created.StandardOutput)!["id"]!.GetValue<string>();
        JsonNode key = await KeyAsync(id);
        Assert.Equal(["mock-model", "gpt-4o"], key["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(["team-a"], key["allowed_virtual_keys"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(new DateTimeOffset(2030, 1, 31, 0, 0, 0, TimeSpan.Zero), key["expires_at"]!.GetValue<DateTimeOffset>());

        CliResult updated = await Cli(["api-keys", "update", id, "--clear-allowed-models", "--allowed-virtual-keys", "team-b",
            "--expires-at", "never"]);

        Assert.True(updated.ExitCode == 0, updated.ToString());
        key = await KeyAsync(id);
        Assert.Null(key["allowed_models"]);
        Assert.Equal(["team-b"], key["allowed_virtual_keys"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Null(key["expires_at"]);
    }

    [Fact]
    public async Task Rotate_prints_the_new_key_once_and_both_keys_work_during_the_transition()
    {
        (string id, string oldKey) = await fixture.CreateApiKeyAsync("completions.write");
        string slug = await fixture.CreateVirtualKeyAsync("sk-cli-rotate-0123456789");

        CliResult result = await Cli(["api-keys", "rotate", id, "--transition", "45m"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string newKey = result.StandardOutput.Split('\n').Single(l => l.StartsWith("key: ", StringComparison.Ordinal))[5..].Trim();
        Assert.StartsWith("pcl_", newKey, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(oldKey, slug));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(newKey, slug));
        Assert.DoesNotContain(oldKey, result.Output, StringComparison.Ordinal);
        DateTimeOffset until = (await KeyAsync(id))["key_transition_expires_at"]!.GetValue<DateTimeOffset>();
        Assert.InRange(until - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(40), TimeSpan.FromMinutes(46));
    }

    [Fact]
    public async Task Rotate_with_a_transition_of_0_ends_the_old_key_at_once()
    {
        (string id, string oldKey) = await fixture.CreateApiKeyAsync("completions.write");
        string slug = await fixture.CreateVirtualKeyAsync("sk-cli-rotate-0123456789");

        CliResult result = await Cli(["api-keys", "rotate", id, "--transition", "0"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("the old one no longer works", result.StandardOutput);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(oldKey, slug));
    }

    [Fact]
    public async Task Rotate_with_a_transition_that_is_not_a_duration_exits_2_and_sends_nothing()
    {
        (string id, string oldKey) = await fixture.CreateApiKeyAsync("completions.write");

        CliResult result = await Cli(["api-keys", "rotate", id, "--transition", "soon"]);

        Assert.Equal(2, result.ExitCode);
        string slug = await fixture.CreateVirtualKeyAsync("sk-cli-rotate-0123456789");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(oldKey, slug));
        Assert.Null((await KeyAsync(id))["key_transition_expires_at"]);
    }

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("3d", 3 * 86400)]
    [InlineData("90s", 90)]
    public void Durations_are_a_number_and_a_unit(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ApiKeyRotateCommand.ParseDuration(text));
        Assert.Null(ApiKeyRotateCommand.ParseDuration(text + "x"));
        Assert.Null(ApiKeyRotateCommand.ParseDuration("-" + text));
    }

    private async Task<JsonNode> KeyAsync(string id) => (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/api-keys/{id}"))!;

    private async Task<HttpStatusCode> ChatAsync(string key, string slug)
    {
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"mock-model","messages":[{"role":"user","content":"hi"}]}"""));
        return response.StatusCode;
    }

    private Task<CliResult> Cli(string[] args) => fixture.RunCliAsync(args);
}
