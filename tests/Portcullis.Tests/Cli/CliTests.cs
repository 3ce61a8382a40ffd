using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Cli;

/// <summary>
/// The <c>portcullis</c> admin commands, run as the real program against a real gateway on loopback: what they print,
/// the exit codes they promise (0 ok, 1 refused, 2 usage, 3 unreachable), and what they change in the gateway.
/// </summary>
public sealed partial class CliTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""";

    [Fact]
    public async Task Virtual_keys_create_prints_the_new_slug_and_exits_zero()
    {
        string providerKey = NewProviderKey();

        CliResult result = await Cli(
            ["virtual-keys", "create", "--name", "created by cli", "--provider", "openai", "--key-env", "TEST_PROVIDER_KEY"],
            new() { ["TEST_PROVIDER_KEY"] = providerKey });

        Assert.True(result.ExitCode == 0, result.ToString());
        Match created = CreatedLine().Match(result.StandardOutput);
        Assert.True(created.Success, result.ToString());
        JsonNode key = await GetVirtualKeyAsync(created.Groups["slug"].Value);
        Assert.Equal("created by cli", key["name"]!.GetValue<string>());
        Assert.DoesNotContain(providerKey, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Virtual_keys_create_with_json_prints_the_gateway_answer()
    {
        CliResult result = await Cli(
            ["virtual-keys", "create", "--name", "json", "--provider", "openai", "--key-env", "TEST_PROVIDER_KEY", "--json"],
            new() { ["TEST_PROVIDER_KEY"] = NewProviderKey() });

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode answer = JsonNode.Parse(result.StandardOutput)!;
        string slug = answer["data"]!["slug"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(slug));
        Assert.Equal(slug, (await GetVirtualKeyAsync(slug))["slug"]!.GetValue<string>());
    }

    [Fact]
    public async Task Virtual_keys_create_reads_the_provider_key_from_stdin()
    {
        string providerKey = NewProviderKey();

        CliResult result = await Cli(
            ["virtual-keys", "create", "--name", "stdin", "--provider", "openai", "--key-stdin", "--json"],
            standardInput: providerKey + "\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        string slug = JsonNode.Parse(result.StandardOutput)!["data"]!["slug"]!.GetValue<string>();
        await AssertChatReachesMockWithAsync(slug, providerKey);
    }

    [Fact]
    public async Task Virtual_keys_list_shows_every_key_with_its_slug()
    {
        string first = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "listed one");
        string second = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "listed two");

        CliResult text = await Cli(["virtual-keys", "list"]);
        CliResult json = await Cli(["virtual-keys", "list", "--json"]);

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains(first, text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(second, text.StandardOutput, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.ToString());
        string[] slugs = JsonNode.Parse(json.StandardOutput)!["data"]!.AsArray()
            .Select(k => k!["slug"]!.GetValue<string>()).ToArray();
        Assert.Contains(first, slugs);
        Assert.Contains(second, slugs);
    }

    [Fact]
    public async Task Virtual_keys_get_shows_the_masked_key_and_never_the_clear_one()
    {
        string providerKey = NewProviderKey();
        string slug = await fixture.CreateVirtualKeyAsync(providerKey, "masked");

        CliResult text = await Cli(["virtual-keys", "get", slug]);
        CliResult json = await Cli(["virtual-keys", "get", slug, "--json"]);

        string mask = "****" + providerKey[^4..];
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains(slug, text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(mask, text.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(providerKey, text.Output, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(mask, JsonNode.Parse(json.StandardOutput)!["masked_api_key"]!.GetValue<string>());
        Assert.DoesNotContain(providerKey, json.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Virtual_keys_update_changes_the_note()
    {
        string slug = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "noted");

        CliResult result = await Cli(["virtual-keys", "update", slug, "--note", "moved to the billing team"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"updated {slug}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("moved to the billing team", (await GetVirtualKeyAsync(slug))["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Virtual_keys_update_with_key_env_rotates_the_provider_secret_used_upstream()
    {
        string oldKey = NewProviderKey();
        string newKey = NewProviderKey();
        string slug = await fixture.CreateVirtualKeyAsync(oldKey, "rotated");
        await AssertChatReachesMockWithAsync(slug, oldKey);

        CliResult result = await Cli(
            ["virtual-keys", "update", slug, "--key-env", "ROTATED_PROVIDER_KEY"], new() { ["ROTATED_PROVIDER_KEY"] = newKey });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain(newKey, result.Output, StringComparison.Ordinal);
        await AssertChatReachesMockWithAsync(slug, newKey);
        Assert.Equal("****" + newKey[^4..], (await GetVirtualKeyAsync(slug))["masked_api_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Virtual_keys_delete_removes_the_key()
    {
        string slug = await fixture.CreateVirtualKeyAsync(NewProviderKey(), "doomed");

        CliResult result = await Cli(["virtual-keys", "delete", slug]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"deleted {slug}", result.StandardOutput, StringComparison.Ordinal);
        using HttpResponseMessage response = await fixture.Admin.GetAsync($"/v1/virtual-keys/{slug}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Api_keys_create_returns_a_key_that_opens_chat_completions()
    {
        string providerKey = NewProviderKey();
        string slug = await fixture.CreateVirtualKeyAsync(providerKey, "for the app");

        CliResult result = await Cli(["api-keys", "create", "--name", "app", "--scopes", "completions.write", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string gatewayKey = JsonNode.Parse(result.StandardOutput)!["key"]!.GetValue<string>();
        Assert.StartsWith("pcl_", gatewayKey, StringComparison.Ordinal);
        await AssertChatReachesMockWithAsync(slug, providerKey, gatewayKey);
    }

    [Fact]
    public async Task Api_keys_list_get_and_delete_manage_gateway_keys_without_showing_them()
    {
        CliResult created = await Cli(["api-keys", "create", "--name", "short-lived", "--json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        JsonNode answer = JsonNode.Parse(created.StandardOutput)!;
        string id = answer["id"]!.GetValue<string>();
        string key = answer["key"]!.GetValue<string>();

        CliResult list = await Cli(["api-keys", "list"]);
        CliResult get = await Cli(["api-keys", "get", id]);
        CliResult delete = await Cli(["api-keys", "delete", id]);
        CliResult getAfterDelete = await Cli(["api-keys", "get", id]);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(id, list.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list.Output, StringComparison.Ordinal);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains(id, get.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("short-lived", get.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(key, get.Output, StringComparison.Ordinal);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains($"deleted {id}", delete.StandardOutput, StringComparison.Ordinal);
        Assert.True(getAfterDelete.ExitCode == 1, getAfterDelete.ToString());
        using HttpClient client = fixture.NewClient(key);
        using HttpResponseMessage refused = await client.PostAsync("/v1/chat/completions", GatewayFixture.Json(ChatBody));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Logs_lists_a_completed_request_with_its_virtual_key()
    {
        string providerKey = NewProviderKey();
        string slug = await fixture.CreateVirtualKeyAsync(providerKey, "logged");
        await AssertChatReachesMockWithAsync(slug, providerKey);

        // The request log is written behind the request, so the CLI is asked until the record is there.
        CliResult result = await Cli(["logs", "--json"]);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (result.ExitCode == 0 && !result.StandardOutput.Contains(slug, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            result = await Cli(["logs", "--json"]);
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonNode record = JsonNode.Parse(result.StandardOutput)!["data"]!.AsArray()
            .Single(l => l!["virtual_key"]?.GetValue<string>() == slug)!;
        Assert.Equal(200, record["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Vault_status_and_rotate_master_key_move_to_a_new_version_and_requests_keep_working()
    {
        string providerKey = NewProviderKey();
        string slug = await fixture.CreateVirtualKeyAsync(providerKey, "survives rotation");
        CliResult before = await Cli(["vault", "status"]);
        Assert.True(before.ExitCode == 0, before.ToString());
        int versionBefore = ActiveVersionOf(before);

        CliResult rotated = await Cli(["vault", "rotate-master-key", "--json"]);
        CliResult after = await Cli(["vault", "status"]);

        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        JsonNode rotation = JsonNode.Parse(rotated.StandardOutput)!;
        Assert.Equal(versionBefore, rotation["previous_version"]!.GetValue<int>());
        Assert.Equal(versionBefore + 1, rotation["active_version"]!.GetValue<int>());
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.Equal(versionBefore + 1, ActiveVersionOf(after));
        await AssertChatReachesMockWithAsync(slug, providerKey);
    }

    [Fact]
    public async Task Vault_rotate_master_key_without_json_prints_the_new_version()
    {
        int versionBefore = ActiveVersionOf(await Cli(["vault", "status"]));

        CliResult rotated = await Cli(["vault", "rotate-master-key"]);

        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.Contains($"master key now at version {versionBefore + 1}", rotated.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_of_an_unknown_slug_exits_one_with_the_reason_on_stderr()
    {
        CliResult result = await Cli(["virtual-keys", "get", "no-such-key-" + Guid.NewGuid().ToString("n")[..8]]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("404", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("no-such-key-", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_wrong_admin_key_is_refused_with_exit_one()
    {
        CliResult result = await Cli(["virtual-keys", "list"], new() { ["PORTCULLIS_ADMIN_KEY"] = "pcl-not-a-key-this-gateway-knows" });

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("401", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_admin_key_is_a_usage_error()
    {
        CliResult result = await Cli(["virtual-keys", "list"], new() { ["PORTCULLIS_ADMIN_KEY"] = null });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("PORTCULLIS_ADMIN_KEY", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_gateway_exits_three()
    {
        int closedPort = ClosedLoopbackPort();

        CliResult result = await Cli(["virtual-keys", "list"], new() { ["PORTCULLIS_URL"] = $"http://127.0.0.1:{closedPort}" });

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("cannot reach", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_describes_every_command()
    {
        CliResult result = await Cli(["--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string command in (string[])["serve", "virtual-keys", "api-keys", "vault", "logs", "--json"])
        {
            Assert.Contains(command, result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_of_virtual_keys_create_lists_its_options()
    {
        CliResult result = await Cli(["virtual-keys", "create", "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string option in (string[])["--name", "--provider", "--key-env", "--key-stdin", "--note", "--json"])
        {
            Assert.Contains(option, result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("virtual-keys", "frobnicate")]
    public async Task An_unknown_subcommand_is_a_usage_error_with_exit_code_two(params string[] args)
    {
        CliResult result = await Cli(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("frobnicate", result.Output, StringComparison.Ordinal);
    }

    private Task<CliResult> Cli(string[] args, Dictionary<string, string?>? environment = null, string? standardInput = null) =>
        fixture.RunCliAsync(args, environment, standardInput);

    private async Task<JsonNode> GetVirtualKeyAsync(string slug)
    {
        using HttpResponseMessage response = await fixture.Admin.GetAsync($"/v1/virtual-keys/{slug}");
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    // One completion through the gateway; the mock must have seen exactly this provider key for it.
    private async Task AssertChatReachesMockWithAsync(string slug, string providerKey, string? gatewayKey = null)
    {
        using HttpClient client = fixture.NewClient(gatewayKey ?? GatewayFixture.AdminKeyValue);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = GatewayFixture.Json(ChatBody) };
        request.Headers.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.SendAsync(request);

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(fixture.Mock.Requests, r =>
            r.Headers.TryGetValue("Authorization", out string? authorization) && authorization == "Bearer " + providerKey);
    }

    private static int ActiveVersionOf(CliResult status)
    {
        Assert.True(status.ExitCode == 0, status.ToString());
        JsonNode? version = JsonNode.Parse(status.StandardOutput)!["active_version"];
        Assert.True(version is not null, status.ToString());
        return version.GetValue<int>();
    }

    private static string NewProviderKey() => "sk-test-" + Guid.NewGuid().ToString("n");

    private static int ClosedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"^created (?<slug>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CreatedLine();
}
