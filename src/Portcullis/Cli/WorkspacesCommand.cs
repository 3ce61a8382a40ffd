using System.CommandLine;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis workspaces list|create|get|update|delete</c> over <c>/v1/admin/workspaces</c>, with the same budget
/// and rate-limit flags as keys. <c>delete --force</c> also deletes the keys the workspace still holds.
/// </summary>
internal static class WorkspacesCommand
{
    public static Command Create(Option<bool> json)
    {
        var command = new Command("workspaces", "Manage workspaces (PORTCULLIS_URL, PORTCULLIS_ADMIN_KEY).");
        var name = new Option<string?>("--name") { Description = "A name for the workspace." };
        var description = new Option<string?>("--description") { Description = "A description." };
        var id = new Argument<string>("id") { Description = "The workspace's id (default, or ws-...)." };

        var create = new Command("create", "Create a workspace (organisation keys only).") { name, description };
        var createLimits = new LimitOptions(update: false);
        createLimits.AddTo(create);
        create.SetAction((r, ct) => PortcullisCli.WithClient(async client =>
        {
            JsonObject body = new() { ["name"] = r.GetValue(name), ["description"] = r.GetValue(description) };
            int limited = await createLimits.AddToBodyAsync(r, body, client, "/v1/admin/workspaces", r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Post, "/v1/admin/workspaces",
                body, r.GetValue(json), n => $"created {n["id"]}", ct);
        }));

        var list = new Command("list", "List workspaces.");
        list.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(HttpMethod.Get,
            "/v1/admin/workspaces?page_size=500", null, r.GetValue(json), n => Lines(n["data"]), ct)));

        var get = new Command("get", "Show a workspace.") { id };
        get.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Get, PathOf(r.GetValue(id)!), null, r.GetValue(json), LimitsText.DescribeKey, ct)));

        var update = new Command("update", "Change a workspace: name, description, budgets and rate limits.")
            { id, name, description };
        var updateLimits = new LimitOptions(update: true);
        updateLimits.AddTo(update);
        update.SetAction((r, ct) => PortcullisCli.WithClient(async client =>
        {
            string path = PathOf(r.GetValue(id)!);
            JsonObject body = [];
            if (r.GetValue(name) is { } n)
            {
                body["name"] = n;
            }

            if (r.GetValue(description) is { } d)
            {
                body["description"] = d;
            }

            int limited = await updateLimits.AddToBodyAsync(r, body, client, path, r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Put, path, body,
                r.GetValue(json), node => $"updated {node["id"]}", ct);
        }));

        var force = new Option<bool>("--force")
        {
            Description = "Also delete the virtual keys, providers and API keys the workspace still holds.",
        };
        var delete = new Command("delete", "Delete a workspace (organisation keys only).") { id, force };
        delete.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(HttpMethod.Delete,
            PathOf(r.GetValue(id)!) + (r.GetValue(force) ? "?force=true" : ""), null, r.GetValue(json),
            n => $"deleted {n["id"]}", ct)));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(update);
        command.Subcommands.Add(delete);
        return command;
    }

    private static string PathOf(string id) => $"/v1/admin/workspaces/{Uri.EscapeDataString(id)}";

    private static string Lines(JsonNode? items) =>
        items is JsonArray array && array.Count > 0
            ? string.Join(Environment.NewLine, array.Select(w =>
                $"{PortcullisCli.Row(w, "id", "status")}\t{LimitsText.BudgetColumn(w)}\t{PortcullisCli.Row(w, "name")}"))
            : "(none)";
}
