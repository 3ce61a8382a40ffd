using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Portcullis.MockUpstream;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Security;

public sealed class SecretLeakTests
{
    private const string ProviderKey = "sk-PLANTED-provider-key-7f3a9c2e81d4";
    private const string HeaderValue = "PLANTED-header-value-5b8e1f0c";
    private const string RotatedKey = "sk-PLANTED-rotated-key-41aa93cd";

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Scanner_finds_a_planted_secret_in_every_encoding(int prefix)
    {
        byte[] padding = Encoding.ASCII.GetBytes(new string('x', prefix));
        byte[] secret = Encoding.UTF8.GetBytes(ProviderKey);
        string file = Path.GetTempFileName();
        File.WriteAllBytes(file, [
            .. "clear:"u8, .. secret,
            .. "|b64:"u8, .. Encoding.ASCII.GetBytes(Convert.ToBase64String([.. padding, .. secret, .. "tail"u8])),
            .. "|hex:"u8, .. Encoding.ASCII.GetBytes("00" + Convert.ToHexString(secret).ToLowerInvariant()),
            .. "|u16:"u8, .. Encoding.Unicode.GetBytes(ProviderKey),
        ]);

        IReadOnlyList<string> found = SecretScanner.Find(ProviderKey, "planted", File.ReadAllBytes(file));
        File.Delete(file);

        Assert.Contains("planted: clear", found);
        Assert.Contains($"planted: base64(+{prefix})", found);
        Assert.Contains("planted: hex", found);
        Assert.Contains("planted: utf-16", found);
        Assert.Empty(SecretScanner.Find(ProviderKey, "other", Encoding.UTF8.GetBytes("nothing to see here")));
    }

    [Fact]
    public async Task Secrets_never_reach_the_database_files_logs_or_admin_responses()
    {
        string masterKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("PLANTED-master-key-32-bytes-long"));
        await using GatewayFixture fixture = await StartAsync(masterKey);
        var responses = new StringBuilder();

        // 1. Store secrets, use them, rotate them, and read everything an admin can read.
        string slug = await fixture.CreateVirtualKeyAsync(ProviderKey, "scan me", new JsonObject
        {
            ["custom_headers"] = new JsonObject { ["X-Upstream-Token"] = HeaderValue },
        });
        (_, string gatewayKey) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(gatewayKey);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);
        client.DefaultRequestHeaders.Add("Authorization", "Bearer " + gatewayKey);
        responses.Append(await (await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync());
        responses.Append(await (await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync());
        fixture.Mock.Enqueue(MockScript.Json(401, """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"""));
        responses.Append(await (await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync());
        responses.Append(await (await client.PostAsync("/v1/chat/completions", GatewayFixture.Json("{broken"))).Content.ReadAsStringAsync());
        (await fixture.Admin.PutAsJsonAsync($"/v1/virtual-keys/{slug}", new { key = RotatedKey })).EnsureSuccessStatusCode();
        responses.Append(await (await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync());
        responses.Append(await (await fixture.Admin.PostAsync("/v1/admin/vault/rotate-master-key", null)).Content.ReadAsStringAsync());
        await fixture.WaitForLogsAsync(5);
        foreach (string path in (string[])["/v1/virtual-keys", $"/v1/virtual-keys/{slug}", "/v1/api-keys", "/v1/logs", "/v1/audit-logs", "/v1/admin/vault"])
        {
            responses.Append(await fixture.Admin.GetStringAsync(path));
        }

        // 2. The mock really received the secrets, so they did pass through the gateway.
        Assert.Contains(fixture.Mock.Requests, r => r.Headers.TryGetValue("X-Upstream-Token", out string? v) && v == HeaderValue);
        Assert.Contains(fixture.Mock.Requests, r => r.Headers["Authorization"] == "Bearer " + RotatedKey);

        // 3. Scan the database files while the gateway runs, and again after it stopped.
        var leaks = new List<string>();
        string[] secrets = [ProviderKey, HeaderValue, RotatedKey, gatewayKey, GatewayFixture.AdminKeyValue, masterKey, "PLANTED-master-key"];
        ScanFiles(fixture.DataDirectory, secrets, leaks);
        foreach (string secret in secrets)
        {
            leaks.AddRange(SecretScanner.Find(secret, "admin and client responses", Encoding.UTF8.GetBytes(responses.ToString())));
            leaks.AddRange(SecretScanner.Find(secret, "logs", Encoding.UTF8.GetBytes(fixture.Logs.All)));
        }

        await fixture.Gateway.StopAsync();
        ScanFiles(fixture.DataDirectory, secrets, leaks);

        Assert.True(File.Exists(Path.Combine(fixture.DataDirectory, "portcullis.db-wal")) || File.Exists(Path.Combine(fixture.DataDirectory, "portcullis.db")));
        Assert.NotEmpty(fixture.Logs.Lines);
        Assert.Empty(leaks);
    }

    private static async Task<GatewayFixture> StartAsync(string masterKey) =>
        await GatewayFixture.StartAsync(o => o.MasterKey = masterKey);

    private static void ScanFiles(string directory, string[] secrets, List<string> leaks)
    {
        foreach (string file in Directory.GetFiles(directory))
        {
            // The running gateway holds its lock file exclusively; it is empty, which is all there is to check.
            if (Path.GetFileName(file) == "portcullis.lock")
            {
                Assert.Equal(0, new FileInfo(file).Length);
                continue;
            }

            byte[] content;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                content = copy.ToArray();
            }

            foreach (string secret in secrets)
            {
                leaks.AddRange(SecretScanner.Find(secret, Path.GetFileName(file), content));
            }
        }
    }
}
