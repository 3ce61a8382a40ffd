using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Clients;

/// <summary>
/// Runs the npm clients' tests in <c>tests/node</c> (the <c>openai</c>, <c>portkey-ai</c> and
/// <c>@anthropic-ai/sdk</c> packages, with node's built-in test runner) against a real gateway and mock upstream started here, and passes only if every one of them
/// passes. The packages must have been installed beforehand (<c>npm ci</c> in <c>tests/node</c>); this test never
/// installs anything and never skips.
/// </summary>
public sealed class NodeClientTests
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(120);

    // Variables that would point an SDK somewhere else or lend it a key; the child process gets none of them.
    private static readonly string[] InheritedVariablesRemoved =
    [
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
        "PORTKEY_API_KEY", "PORTKEY_BASE_URL", "PORTKEY_PROXY", "NODE_OPTIONS",
    ];

    // @anthropic-ai/sdk reads many ANTHROPIC_* variables (base URL, keys, tokens, profiles, custom headers); none pass.
    private const string InheritedPrefixRemoved = "ANTHROPIC_";

    // The alias the node tests pass as the model for the Azure key (AZURE_ALIAS in tests/node/env.mjs).
    private const string AzureAlias = "gpt4o";

    [Fact]
    public async Task The_openai_portkey_ai_and_anthropic_npm_clients_pass_their_tests_against_a_live_gateway()
    {
        // 1. The node project must be installed; a missing install is a failure, never a skip.
        string nodeDirectory = Path.Combine(FindRepositoryRoot(), "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(nodeDirectory, "node_modules")),
            $"{Path.Combine(nodeDirectory, "node_modules")} is missing. Run the test script, which runs `npm ci` in " +
            "tests/node, or run `npm ci` there yourself, then run this test again.");
        string[] testFiles = Directory.GetFiles(nodeDirectory, "*.test.mjs")
            .Select(file => Path.GetFileName(file))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.NotEmpty(testFiles);

        // 2. A gateway whose Anthropic base URL is the mock, a completions key, and three virtual keys holding provider
        //    keys the mock accepts: an OpenAI key, an Azure OpenAI key whose custom host is the mock, an Anthropic key.
        GatewayFixture fixture = await GatewayFixture.StartAsync();
        try
        {
            await fixture.RestartAsync(o => o.ProviderBaseUrls["anthropic"] = fixture.Mock.BaseUrl.ToString());
            string mockKey = "sk-mock-node-" + Guid.NewGuid().ToString("n");
            string azureKey = "azure-mock-node-" + Guid.NewGuid().ToString("n");
            string anthropicKey = "sk-ant-mock-node-" + Guid.NewGuid().ToString("n");
            fixture.Mock.AcceptedKeys.Add(mockKey);
            fixture.Mock.AcceptedKeys.Add(azureKey);
            fixture.Mock.AcceptedKeys.Add(anthropicKey);
            string gatewayKey = (await fixture.CreateApiKeyAsync("completions.write")).Key;
            string slug = await fixture.CreateVirtualKeyAsync(mockKey, "node clients");
            string azureSlug = await CreateVirtualKeyAsync(fixture, new JsonObject
            {
                ["name"] = "node clients azure",
                ["provider"] = "azure-openai",
                ["key"] = azureKey,
                ["custom_host"] = $"http://127.0.0.1:{fixture.Mock.Port}",
                ["deploymentConfig"] = new JsonArray(new JsonObject
                {
                    ["alias"] = AzureAlias,
                    ["deploymentName"] = "gpt4o-node-deployment",
                    ["apiVersion"] = "2024-10-21",
                    ["is_default"] = true,
                }),
            });
            string anthropicSlug = await CreateVirtualKeyAsync(fixture, new JsonObject
            {
                ["name"] = "node clients anthropic", ["provider"] = "anthropic", ["key"] = anthropicKey,
            });

            // 3. Every test file in one node run, each file in its own process as node --test does.
            var environment = new Dictionary<string, string>
            {
                ["PORTCULLIS_BASE_URL"] = fixture.BaseUrl.GetLeftPart(UriPartial.Authority),
                ["PORTCULLIS_ADMIN_KEY"] = GatewayFixture.AdminKeyValue,
                ["PORTCULLIS_GATEWAY_KEY"] = gatewayKey,
                ["PORTCULLIS_MOCK_KEY"] = mockKey,
                ["PORTCULLIS_VIRTUAL_KEY"] = slug,
                ["PORTCULLIS_AZURE_VIRTUAL_KEY"] = azureSlug,
                ["PORTCULLIS_ANTHROPIC_VIRTUAL_KEY"] = anthropicSlug,
            };
            (int exitCode, string output) = await RunNodeAsync(
                nodeDirectory, ["--test", "--test-reporter=spec", .. testFiles], environment);

            Assert.True(exitCode == 0, $"node --test exited with {exitCode}:\n{output}");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static async Task<string> CreateVirtualKeyAsync(GatewayFixture fixture, JsonObject body)
    {
        using HttpResponseMessage response = await fixture.Admin.PostAsJsonAsync("/v1/virtual-keys", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
    }

    private static async Task<(int ExitCode, string Output)> RunNodeAsync(
        string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string name in InheritedVariablesRemoved)
        {
            start.Environment.Remove(name);
        }

        foreach (string name in start.Environment.Keys
                     .Where(name => name.StartsWith(InheritedPrefixRemoved, StringComparison.OrdinalIgnoreCase))
                     .ToArray())
        {
            start.Environment.Remove(name);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"Could not start `node` (Node.js 20 or later must be on PATH): {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(NodeTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"node --test did not finish within {NodeTimeout.TotalSeconds:0} s:\n{Snapshot(output)}");
        }

        // The exit is seen before the last redirected lines; waiting without a timeout drains them.
        process.WaitForExit();
        return (process.ExitCode, Snapshot(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string FindRepositoryRoot()
    {
        DirectoryInfo? directory = new(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Portcullis.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName
            ?? throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Portcullis.sln.");
    }
}
