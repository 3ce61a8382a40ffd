using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Portcullis.Tests.Infrastructure;

namespace Portcullis.Tests.Workspaces;

/// <summary>
/// The data plane keeps workspaces apart: another workspace's virtual key is answered as an unknown slug whichever way
/// it is named, the request log records each request's workspace, and a workspace's own budgets and rate limits apply
/// to every key in it.
/// </summary>
public sealed class WorkspaceDataPlaneTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task A_workspace_key_naming_another_workspaces_virtual_key_gets_the_unknown_slug_answer_every_way()
    {
        string a = await WorkspaceKit.CreateWorkspaceAsync(fixture, "A");
        string b = await WorkspaceKit.CreateWorkspaceAsync(fixture, "B");
        string slugOfA = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, a);
        (_, string keyOfB) = await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, b, "completions.write");
        using HttpClient asB = fixture.NewClient(keyOfB);
        string unknown = "no-such-" + Guid.NewGuid().ToString("n")[..6];
        int upstreamCalls = fixture.Mock.Requests.Count;

        foreach ((string how, Func<string, HttpRequestMessage> request) in new (string, Func<string, HttpRequestMessage>)[]
        {
            ("x-portkey-virtual-key", slug => WorkspaceKit.Chat(slug)),
            ("x-portkey-provider: @slug", slug => WorkspaceKit.Chat(null, providerHeader: "@" + slug)),
            ("model @slug/model", slug => WorkspaceKit.Chat(null, model: $"@{slug}/mock-model")),
        })
        {
            using HttpResponseMessage across = await asB.SendAsync(request(slugOfA));
            using HttpResponseMessage missing = await asB.SendAsync(request(unknown));
            string acrossBody = await across.Content.ReadAsStringAsync();
            string missingBody = await missing.Content.ReadAsStringAsync();

            Assert.True(across.StatusCode == HttpStatusCode.BadRequest, $"{how}: {across.StatusCode} {acrossBody}");
            Assert.Equal(missingBody.Replace(unknown, "<slug>"), acrossBody.Replace(slugOfA, "<slug>"));
            Assert.Contains($"Following keys are not valid: {slugOfA}", acrossBody);
        }

        Assert.Equal(upstreamCalls, fixture.Mock.Requests.Count);
    }

    [Fact]
    public async Task An_organisation_key_reaches_every_workspace_and_each_request_is_logged_in_its_keys_workspace()
    {
        string a = await WorkspaceKit.CreateWorkspaceAsync(fixture, "logged");
        string slugOfA = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, a);
        (_, string orgKey) = await fixture.CreateApiKeyAsync("completions.write");
        (_, string keyOfA) = await WorkspaceKit.CreateWorkspaceKeyAsync(fixture, a, "completions.write", "logs.list");
        using HttpClient asOrg = fixture.NewClient(orgKey);
        using HttpClient asA = fixture.NewClient(keyOfA);
        string trace = Guid.NewGuid().ToString("n");

        using HttpRequestMessage request = WorkspaceKit.Chat(slugOfA);
        request.Headers.Add("x-portkey-trace-id", trace);
        using HttpResponseMessage sent = await asOrg.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        using HttpResponseMessage own = await asA.SendAsync(WorkspaceKit.Chat(slugOfA));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        JsonArray logs = await WaitForWorkspaceLogsAsync(a, 2);
        JsonNode seenByA = (await asA.GetFromJsonAsync<JsonNode>("/v1/logs?page_size=500"))!;
        JsonNode defaultLogs = (await fixture.Admin.GetFromJsonAsync<JsonNode>("/v1/logs?workspace_id=default&page_size=500"))!;

        Assert.Equal(2, logs.Count);
        Assert.All(logs, l => Assert.Equal(slugOfA, l!["virtual_key"]!.GetValue<string>()));
        Assert.Equal(2, seenByA["total"]!.GetValue<int>());
        Assert.DoesNotContain(defaultLogs["data"]!.AsArray(), l => l!["trace_id"]!.GetValue<string>() == trace);
    }

    [Fact]
    public async Task A_workspace_request_limit_applies_across_all_its_virtual_keys()
    {
        string ws = await WorkspaceKit.CreateWorkspaceAsync(fixture, "limited", new JsonObject
        {
            ["rate_limits"] = new JsonArray(new JsonObject { ["type"] = "requests", ["unit"] = "rpm", ["value"] = 2 }),
        });
        string first = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, ws, "first");
        string second = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, ws, "second");
        string outside = await fixture.CreateVirtualKeyAsync("sk-ws-outside", "outside");

        using HttpResponseMessage one = await fixture.Admin.SendAsync(WorkspaceKit.Chat(first));
        using HttpResponseMessage two = await fixture.Admin.SendAsync(WorkspaceKit.Chat(second));
        using HttpResponseMessage three = await fixture.Admin.SendAsync(WorkspaceKit.Chat(first));
        using HttpResponseMessage elsewhere = await fixture.Admin.SendAsync(WorkspaceKit.Chat(outside));
        JsonNode error = (await WorkspaceKit.JsonOf(three))["error"]!;

        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, three.StatusCode);
        Assert.Equal("workspace_rate_limit_error", error["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_workspace_token_budget_set_on_update_refuses_once_spent_and_reset_usage_reopens_it()
    {
        string ws = await WorkspaceKit.CreateWorkspaceAsync(fixture, "budgeted");
        string slug = await WorkspaceKit.CreateVirtualKeyInAsync(fixture, ws);
        (await fixture.Admin.PutAsJsonAsync($"/v1/admin/workspaces/{ws}",
            new { usage_limits = new { type = "tokens", credit_limit = 100 } })).EnsureSuccessStatusCode();

        // The worst case of a chat without max_tokens is far beyond 100 tokens: refused before the upstream.
        using HttpResponseMessage refused = await fixture.Admin.SendAsync(WorkspaceKit.Chat(slug));
        JsonNode error = (await WorkspaceKit.JsonOf(refused))["error"]!;

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("workspace_exhaust_error", error["type"]!.GetValue<string>());
        Assert.Contains($"workspace '{ws}'", error["message"]!.GetValue<string>());

        (await fixture.Admin.PutAsJsonAsync($"/v1/admin/workspaces/{ws}",
            new { usage_limits = (object?)null })).EnsureSuccessStatusCode();
        using HttpResponseMessage admitted = await fixture.Admin.SendAsync(WorkspaceKit.Chat(slug));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    private async Task<JsonArray> WaitForWorkspaceLogsAsync(string workspace, int count)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            JsonNode page = (await fixture.Admin.GetFromJsonAsync<JsonNode>($"/v1/logs?workspace_id={workspace}&page_size=500"))!;
            JsonArray data = page["data"]!.AsArray();
            if (data.Count >= count || DateTime.UtcNow > deadline)
            {
                return data;
            }

            await Task.Delay(50);
        }
    }
}
