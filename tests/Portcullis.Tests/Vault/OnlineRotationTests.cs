using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Vault;

public sealed class OnlineRotationTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Requests_keep_succeeding_while_the_master_key_rotates()
    {
        var slugs = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            slugs.Add(await fixture.CreateVirtualKeyAsync($"sk-rotation-{i:000}-abcdef", $"rot {i}"));
        }

        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        int succeeded = 0;

        async Task TrafficAsync(int worker)
        {
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                {
                    Content = GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""),
                };
                request.Headers.Add("x-portkey-virtual-key", slugs[(worker * 7 + n) % slugs.Count]);
                using HttpResponseMessage response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    string failure = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                    lock (failures)
                    {
                        failures.Add(failure);
                    }
                }
            }
        }

        Task[] workers = Enumerable.Range(0, 6).Select(TrafficAsync).ToArray();
        await Task.Delay(200);
        int before = succeeded;

        JsonNode first = (await (await fixture.Admin.PostAsync("/v1/admin/vault/rotate-master-key", null)).Content.ReadFromJsonAsync<JsonNode>())!;
        JsonNode second = (await (await fixture.Admin.PostAsync("/v1/admin/vault/rotate-master-key", null)).Content.ReadFromJsonAsync<JsonNode>())!;
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.True(succeeded > before, "traffic ran during the rotation");
        int firstVersion = first["active_version"]!.GetValue<int>();
        Assert.Equal(first["previous_version"]!.GetValue<int>() + 1, firstVersion);
        Assert.True(first["rewrapped"]!.GetValue<int>() >= 41, first.ToJsonString());
        Assert.Equal(firstVersion + 1, second["active_version"]!.GetValue<int>());
        JsonNode status = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/admin/vault"))!;
        Assert.Equal(firstVersion + 1, status["active_version"]!.GetValue<int>());
        Assert.Contains(status["versions"]!.AsArray(), v => v!["version"]!.GetValue<int>() == firstVersion && v["retired_at"] is not null);
    }

    [Fact]
    public async Task Gateway_restarted_after_rotation_opens_every_secret_with_the_key_file_alone()
    {
        string slug = await fixture.CreateVirtualKeyAsync("sk-after-restart-1234");
        (await fixture.Admin.PostAsync("/v1/admin/vault/rotate-master-key", null)).EnsureSuccessStatusCode();

        await fixture.RestartAsync();
        (_, string key) = await fixture.CreateApiKeyAsync("completions.write");
        using HttpClient client = fixture.NewClient(key);
        client.DefaultRequestHeaders.Add("x-portkey-virtual-key", slug);

        using HttpResponseMessage response = await client.PostAsync("/v1/chat/completions",
            GatewayFixture.Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
