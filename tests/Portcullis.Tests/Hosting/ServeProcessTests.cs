using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portcullis.MockUpstream;
using Portcullis.Tests.Cli;

namespace Portcullis.Tests.Hosting;

/// <summary>
/// <c>portcullis serve</c> as a real process: what the first start creates and prints, where settings come from,
/// that the vault refuses a master key that does not fit the database, and that SIGTERM drains requests in flight.
/// Every test has its own data directory and loopback port.
/// </summary>
public sealed partial class ServeProcessTests
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""";

    [Fact]
    public async Task First_start_creates_a_private_master_key_file_warns_about_it_and_prints_a_working_admin_key_once()
    {
        await using var sandbox = new ServeSandbox();

        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync();
        Assert.True(await gateway.WaitForOutputAsync("Use it as PORTCULLIS_ADMIN_KEY", TimeSpan.FromSeconds(10)), gateway.Output);

        string keyFile = Path.Combine(sandbox.DataDirectory, "master.key");
        Assert.True(File.Exists(keyFile), gateway.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sandbox.DataDirectory));
        Assert.Contains("move the key to a secret store", gateway.Output, StringComparison.Ordinal);
        string[] printedKeys = GeneratedKeys(gateway.Output);
        Assert.True(printedKeys.Length == 1, gateway.Output);
        Assert.Equal(1, Occurrences(gateway.Output, printedKeys[0]));
        Assert.Equal(HttpStatusCode.OK, await ListVirtualKeysStatusAsync(baseUrl, printedKeys[0]));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListVirtualKeysStatusAsync(baseUrl, "pcl-" + new string('x', 40)));
    }

    [Fact]
    public async Task A_second_start_on_the_same_data_directory_prints_no_admin_key_and_keeps_the_first_one()
    {
        await using var sandbox = new ServeSandbox();
        (PortcullisProcess first, _) = await sandbox.StartHealthyAsync();
        Assert.True(await first.WaitForOutputAsync("Use it as PORTCULLIS_ADMIN_KEY", TimeSpan.FromSeconds(10)), first.Output);
        string adminKey = Assert.Single(GeneratedKeys(first.Output));
        Assert.Equal(0, await ServeSandbox.StopAsync(first));

        (PortcullisProcess second, Uri baseUrl) = await sandbox.StartHealthyAsync();

        Assert.Equal(HttpStatusCode.OK, await ListVirtualKeysStatusAsync(baseUrl, adminKey));
        Assert.Equal(0, await ServeSandbox.StopAsync(second));
        Assert.Empty(GeneratedKeys(second.Output));
        Assert.DoesNotContain("First start", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_generated_admin_key_never_appears_in_clear_in_the_database_files()
    {
        await using var sandbox = new ServeSandbox();
        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync();
        Assert.True(await gateway.WaitForOutputAsync("Use it as PORTCULLIS_ADMIN_KEY", TimeSpan.FromSeconds(10)), gateway.Output);
        string adminKey = Assert.Single(GeneratedKeys(gateway.Output));
        Assert.Equal(HttpStatusCode.OK, await ListVirtualKeysStatusAsync(baseUrl, adminKey));

        // Looked at while the process runs (the WAL still holds recent pages) and again after it checkpointed on exit.
        AssertNotInDatabaseFiles(sandbox.DataDirectory, adminKey);
        Assert.Equal(0, await ServeSandbox.StopAsync(gateway));
        AssertNotInDatabaseFiles(sandbox.DataDirectory, adminKey);
    }

    [Fact]
    public async Task Data_directory_and_urls_come_from_the_environment_when_no_flags_are_given()
    {
        await using var sandbox = new ServeSandbox();
        int port = ServeSandbox.FreeLoopbackPort();

        (PortcullisProcess gateway, _) = await sandbox.StartHealthyAsync(
            new Dictionary<string, string?>
            {
                ["PORTCULLIS_DATA_DIR"] = sandbox.DataDirectory,
                ["PORTCULLIS_URLS"] = $"http://127.0.0.1:{port}",
            },
            withFlags: false,
            port: port);

        Assert.True(File.Exists(Path.Combine(sandbox.DataDirectory, "portcullis.db")), gateway.Output);
        Assert.True(File.Exists(Path.Combine(sandbox.DataDirectory, "master.key")), gateway.Output);
        Assert.False(Directory.Exists(Path.Combine(sandbox.WorkingDirectory, "data")), "the default ./data was used");
        Assert.Equal(0, await ServeSandbox.StopAsync(gateway));
    }

    [Fact]
    public async Task PORTCULLIS_ADMIN_KEY_sets_the_admin_key_on_first_start()
    {
        await using var sandbox = new ServeSandbox();
        string chosen = "operator-chosen-admin-" + Guid.NewGuid().ToString("n");

        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync(
            new Dictionary<string, string?> { ["PORTCULLIS_ADMIN_KEY"] = chosen });

        Assert.Equal(HttpStatusCode.OK, await ListVirtualKeysStatusAsync(baseUrl, chosen));
        Assert.Equal(HttpStatusCode.Unauthorized, await ListVirtualKeysStatusAsync(baseUrl, chosen + "x"));
        Assert.Equal(0, await ServeSandbox.StopAsync(gateway));
        Assert.Empty(GeneratedKeys(gateway.Output));
        Assert.DoesNotContain("First start", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(chosen, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_different_master_key_does_not_open_the_database_and_the_right_one_still_does()
    {
        await using MockUpstreamServer mock = await MockUpstreamServer.StartAsync();
        await using var sandbox = new ServeSandbox();
        string rightKey = NewMasterKey();
        string wrongKey = NewMasterKey();
        string adminKey = "admin-" + Guid.NewGuid().ToString("n");
        string providerKey = "sk-vaulted-" + Guid.NewGuid().ToString("n");
        Dictionary<string, string?> Settings(string masterKey) => new()
        {
            ["PORTCULLIS_MASTER_KEY"] = masterKey,
            ["PORTCULLIS_ADMIN_KEY"] = adminKey,
            ["Portcullis__ProviderBaseUrls__openai"] = mock.BaseUrl.ToString(),
        };

        // 1. A database sealed under the right key, holding one virtual key.
        (PortcullisProcess first, Uri firstUrl) = await sandbox.StartHealthyAsync(Settings(rightKey));
        string slug = await CreateVirtualKeyAsync(firstUrl, adminKey, providerKey);
        Assert.Equal(0, await ServeSandbox.StopAsync(first));
        Assert.False(
            File.Exists(Path.Combine(sandbox.DataDirectory, "master.key")), "a key file was written despite PORTCULLIS_MASTER_KEY");

        // 2. Another valid key: the process refuses to start.
        (PortcullisProcess refused, _) = sandbox.Start(Settings(wrongKey));
        int exitCode = await refused.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode != 0, refused.Output);
        Assert.Contains("does not open this database", refused.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(rightKey, refused.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, refused.Output, StringComparison.Ordinal);

        // 3. The right key again: the stored provider key still opens and reaches the provider.
        (PortcullisProcess again, Uri againUrl) = await sandbox.StartHealthyAsync(Settings(rightKey));
        using HttpClient client = Client(againUrl, adminKey);
        using (HttpResponseMessage response = await PostChatAsync(client, slug, ChatBody))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Contains(mock.Requests, r => r.Headers.GetValueOrDefault("Authorization") == "Bearer " + providerKey);
        Assert.Equal(0, await ServeSandbox.StopAsync(again));
        Assert.DoesNotContain(rightKey, again.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not base64!", "not valid base64")]
    [InlineData("c2l4dGVlbiBieXRlcyBrZXk=", "exactly 32 bytes")]
    public async Task A_malformed_master_key_stops_the_start_with_a_clear_message(string masterKey, string reason)
    {
        await using var sandbox = new ServeSandbox();

        (PortcullisProcess gateway, _) = sandbox.Start(new Dictionary<string, string?> { ["PORTCULLIS_MASTER_KEY"] = masterKey });
        int exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode != 0, gateway.Output);
        Assert.Contains("PORTCULLIS_MASTER_KEY", gateway.StandardError, StringComparison.Ordinal);
        Assert.Contains(reason, gateway.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(masterKey, gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_drains_a_stream_in_flight_refuses_new_connections_and_records_the_request()
    {
        await using MockUpstreamServer mock = await MockUpstreamServer.StartAsync();
        await using var sandbox = new ServeSandbox();
        string adminKey = "admin-" + Guid.NewGuid().ToString("n");
        var environment = new Dictionary<string, string?>
        {
            ["PORTCULLIS_ADMIN_KEY"] = adminKey,
            ["Portcullis__ProviderBaseUrls__openai"] = mock.BaseUrl.ToString(),
        };
        string[] payloads = Enumerable.Range(1, 8).Select(Chunk).ToArray();
        mock.Enqueue(MockScript.Sse(payloads, delayBetweenFrames: TimeSpan.FromMilliseconds(300)));
        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync(environment);
        string gatewayKey = await CreateApiKeyAsync(baseUrl, adminKey);
        string slug = await CreateVirtualKeyAsync(baseUrl, adminKey, "sk-drain-" + Guid.NewGuid().ToString("n"));

        // 1. A streamed completion is under way: its first bytes have arrived.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using HttpClient client = Client(baseUrl, gatewayKey);
        using HttpResponseMessage response = await PostChatAsync(
            client, slug, """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}""",
            HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Stream stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        int read = await stream.ReadAsync(buffer, timeout.Token);
        Assert.True(read > 0, "the stream ended before its first bytes");
        received.Write(buffer, 0, read);

        // 2. SIGTERM: new connections are refused while the stream goes on to its end.
        gateway.Signal("TERM");
        Task rest = stream.CopyToAsync(received, timeout.Token);
        bool refusedWhileStreaming = await ConnectionRefusedAsync(baseUrl, TimeSpan.FromSeconds(10)) && !rest.IsCompleted;
        await rest;
        int exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        string body = Encoding.UTF8.GetString(received.ToArray());
        foreach (string payload in payloads)
        {
            Assert.Contains("data: " + payload + "\n\n", body, StringComparison.Ordinal);
        }

        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.True(refusedWhileStreaming, "a new connection was still accepted while the gateway drained");
        Assert.True(exitCode == 0, $"exit {exitCode}{Environment.NewLine}{gateway.Output}");

        // 3. After a restart the drained request is in the request log.
        (PortcullisProcess restarted, Uri restartedUrl) = await sandbox.StartHealthyAsync(environment);
        using HttpClient admin = Client(restartedUrl, adminKey);
        JsonNode logs = (await admin.GetFromJsonAsync<JsonNode>("v1/logs?page_size=100"))!;
        JsonNode? record = logs["data"]!.AsArray().SingleOrDefault(l => l?["virtual_key"]?.GetValue<string>() == slug);
        Assert.True(record is not null, logs.ToJsonString());
        Assert.Equal(200, record["status"]!.GetValue<int>());
        Assert.True(record["stream"]!.GetValue<bool>(), record.ToJsonString());
        Assert.Equal(0, await ServeSandbox.StopAsync(restarted));
    }

    [Fact]
    public async Task Health_answers_success_as_json()
    {
        await using var sandbox = new ServeSandbox();
        (PortcullisProcess gateway, Uri baseUrl) = await sandbox.StartHealthyAsync();

        using HttpClient client = Client(baseUrl, gatewayKey: null);
        using HttpResponseMessage response = await client.GetAsync("v1/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        JsonNode health = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("success", health["status"]!.GetValue<string>());
        Assert.Equal(0, await ServeSandbox.StopAsync(gateway));
    }

    private static HttpClient Client(Uri baseUrl, string? gatewayKey)
    {
        // A handler of its own, so every client opens fresh connections.
        var client = new HttpClient(new SocketsHttpHandler()) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (gatewayKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-portkey-api-key", gatewayKey);
        }

        return client;
    }

    private static async Task<HttpStatusCode> ListVirtualKeysStatusAsync(Uri baseUrl, string adminKey)
    {
        using HttpClient client = Client(baseUrl, adminKey);
        using HttpResponseMessage response = await client.GetAsync("v1/virtual-keys");
        return response.StatusCode;
    }

    private static async Task<string> CreateVirtualKeyAsync(Uri baseUrl, string adminKey, string providerKey)
    {
        using HttpClient client = Client(baseUrl, adminKey);
        using HttpResponseMessage response = await client.PostAsJsonAsync(
            "v1/virtual-keys", new JsonObject { ["name"] = "served", ["provider"] = "openai", ["key"] = providerKey });
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!["slug"]!.GetValue<string>();
    }

    private static async Task<string> CreateApiKeyAsync(Uri baseUrl, string adminKey)
    {
        using HttpClient client = Client(baseUrl, adminKey);
        using HttpResponseMessage response = await client.PostAsJsonAsync(
            "v1/api-keys/organisation/service", new JsonObject { ["name"] = "app", ["scopes"] = new JsonArray("completions.write") });
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["key"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> PostChatAsync(
        HttpClient client, string slug, string body,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-portkey-virtual-key", slug);
        return await client.SendAsync(request, completion, cancellationToken);
    }

    // True once a new connection to the gateway is refused by the operating system within the timeout.
    private static async Task<bool> ConnectionRefusedAsync(Uri baseUrl, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using HttpClient client = Client(baseUrl, gatewayKey: null);
            client.Timeout = TimeSpan.FromSeconds(2);
            try
            {
                using HttpResponseMessage response = await client.GetAsync("v1/health");
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Accepted and then dropped, or slow: not a refusal yet.
            }

            await Task.Delay(25);
        }

        return false;
    }

    private static void AssertNotInDatabaseFiles(string dataDirectory, string secret)
    {
        byte[] needle = Encoding.UTF8.GetBytes(secret);
        string[] files = Directory.GetFiles(dataDirectory, "portcullis.db*");
        Assert.Contains(files, f => Path.GetFileName(f) == "portcullis.db");
        foreach (string file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var content = new MemoryStream();
            stream.CopyTo(content);
            Assert.True(content.ToArray().AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds the admin key in clear");
        }
    }

    private static string[] GeneratedKeys(string output) =>
        GeneratedKey().Matches(output).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToArray();

    private static int Occurrences(string text, string value) =>
        (text.Length - text.Replace(value, "", StringComparison.Ordinal).Length) / value.Length;

    private static string NewMasterKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static string Chunk(int index) =>
        new JsonObject
        {
            ["id"] = "chatcmpl-drain",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1700000000,
            ["model"] = "gpt-4o-mini",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["delta"] = new JsonObject { ["content"] = $"part {index} " },
                ["finish_reason"] = null,
            }),
        }.ToJsonString();

    [GeneratedRegex("pcl_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}")]
    private static partial Regex GeneratedKey();
}
