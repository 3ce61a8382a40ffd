using System.CommandLine;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis integrations ...</c> and <c>portcullis providers ...</c>: the model catalog of a running gateway
/// (PORTCULLIS_URL, PORTCULLIS_ADMIN_KEY). Provider keys are read from a variable or standard input, never argv
/// unless asked.
/// </summary>
internal static class CatalogCommands
{
    public static Command Integrations(Option<bool> json)
    {
        var command = new Command("integrations", "Manage integrations: provider credentials held once.");
        var slug = new Argument<string>("slug") { Description = "The integration's slug." };
        var name = new Option<string?>("--name") { Description = "A name for the integration." };
        var provider = new Option<string?>("--provider") { Description = "Provider id (ai_provider_id), for example openai." };
        var key = new Option<string?>("--key") { Description = "The provider API key (prefer --key-env or --key-stdin)." };
        var keyEnv = new Option<string?>("--key-env") { Description = "Read the provider key from this environment variable." };
        var keyStdin = new Option<bool>("--key-stdin") { Description = "Read the provider key from standard input." };
        var slugOption = new Option<string?>("--slug") { Description = "The slug (letters, digits, '_' and '-')." };
        var workspace = new Option<string?>("--workspace") { Description = "Workspace id; omitted: organisation level." };
        var customHost = new Option<string?>("--custom-host") { Description = "Base URL of a self-hosted server, with /v1." };
        var cascade = new Option<bool>("--cascade") { Description = "Also delete the providers made from it." };
        var models = new Option<string[]>("--model") { Description = "A model to allow (repeatable)." };
        var allowAll = new Option<bool>("--allow-all") { Description = "Allow every model not listed as disabled." };
        var disable = new Option<string[]>("--disable") { Description = "A model to disable (repeatable)." };
        var enable = new Option<string[]>("--enable") { Description = "A workspace to grant (repeatable)." };
        var revoke = new Option<string[]>("--revoke") { Description = "A workspace to take the grant from (repeatable)." };
        var global = new Option<bool?>("--global") { Description = "Grant (true) or withdraw (false) every workspace." };
        var noDefault = new Option<bool>("--no-default-provider")
        {
            Description = "Create no default provider (made by default in a workspace the integration starts serving).",
        };
        var defaultSlug = new Option<string?>("--default-provider-slug")
        {
            Description = "Slug of the default provider (default: the integration's slug; on a grant, <slug>-<workspace>).",
        };

        var create = new Command("create", "Create an integration.")
            { name, provider, key, keyEnv, keyStdin, slugOption, workspace, customHost, noDefault, defaultSlug };
        create.SetAction((r, ct) => PortcullisCli.WithClient(async client =>
        {
            var body = new JsonObject { ["name"] = r.GetValue(name), ["ai_provider_id"] = r.GetValue(provider) };
            if (!ReadKey(r, body, key, keyEnv, keyStdin))
            {
                return AdminClient.ExitUsage;
            }

            Add(body, "slug", r.GetValue(slugOption));
            Add(body, "workspace_id", r.GetValue(workspace));
            AddDefaultProvider(r, body, noDefault, defaultSlug);
            if (r.GetValue(customHost) is { } host)
            {
                body["configurations"] = new JsonObject { ["custom_host"] = host };
            }

            return await client.SendAsync(HttpMethod.Post, "/v1/integrations", body, r.GetValue(json),
                n => $"created {n["slug"]}" +
                     (n["default_provider_slug"] is { } p ? $"; default provider {p} (use \"@{p}/<model>\")" : ""), ct);
        }));

        var list = new Command("list", "List integrations.");
        list.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Get, "/v1/integrations?page_size=500", null, r.GetValue(json),
            n => Lines(n["data"], i => PortcullisCli.Row(i, "slug", "ai_provider_id", "type", "status", "masked_key", "name")), ct)));

        var get = new Command("get", "Show an integration.") { slug };
        get.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Get, Path(r.GetValue(slug)!), null, r.GetValue(json), Describe, ct)));

        var rotate = new Command("rotate", "Replace the provider key; every provider moves to it at once.")
            { slug, key, keyEnv, keyStdin };
        rotate.SetAction((r, ct) => PortcullisCli.WithClient(async client =>
        {
            var body = new JsonObject();
            return !ReadKey(r, body, key, keyEnv, keyStdin) || body["key"] is null
                ? AdminClient.ExitUsage
                : await client.SendAsync(HttpMethod.Put, Path(r.GetValue(slug)!), body, r.GetValue(json),
                    n => $"rotated {n["slug"]} ({n["masked_key"]})", ct);
        }));

        var delete = new Command("delete", "Delete an integration (refused while providers use it, unless --cascade).")
            { slug, cascade };
        delete.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Delete, Path(r.GetValue(slug)!) + (r.GetValue(cascade) ? "?cascade=true" : ""), null,
            r.GetValue(json), n => $"deleted {n["slug"]}", ct)));

        var setModels = new Command("models", "Show, or with options set, the models the integration allows.")
            { slug, models, allowAll, disable };
        setModels.SetAction((r, ct) => PortcullisCli.WithClient(client =>
        {
            string path = Path(r.GetValue(slug)!) + "/models";
            string[] allowed = r.GetValue(models) ?? [];
            string[] disabled = r.GetValue(disable) ?? [];
            bool change = allowed.Length + disabled.Length > 0 || r.GetValue(allowAll);
            JsonObject? body = change
                ? new JsonObject
                {
                    ["allow_all_models"] = r.GetValue(allowAll),
                    ["models"] = new JsonArray(
                    [
                        .. allowed.Select(m => (JsonNode)new JsonObject { ["slug"] = m, ["enabled"] = true }),
                        .. disabled.Select(m => (JsonNode)new JsonObject { ["slug"] = m, ["enabled"] = false }),
                    ]),
                }
                : null;
            return client.SendAsync(change ? HttpMethod.Put : HttpMethod.Get, path, body, r.GetValue(json),
                n => $"allow_all_models: {n["allow_all_models"]}{Environment.NewLine}" +
                     Lines(n["models"], m => PortcullisCli.Row(m, "slug", "enabled")), ct);
        }));

        var grants = new Command("workspaces", "Show, or with options change, which workspaces may use the integration.")
            { slug, enable, revoke, global, noDefault, defaultSlug };
        grants.SetAction((r, ct) => PortcullisCli.WithClient(client =>
        {
            string path = Path(r.GetValue(slug)!) + "/workspaces";
            string[] on = r.GetValue(enable) ?? [];
            string[] off = r.GetValue(revoke) ?? [];
            bool? everyone = r.GetValue(global);
            bool change = on.Length + off.Length > 0 || everyone is not null;
            JsonObject? body = null;
            if (change)
            {
                body = new JsonObject
                {
                    ["workspaces"] = new JsonArray(
                    [
                        .. on.Select(w => (JsonNode)new JsonObject { ["id"] = w, ["enabled"] = true }),
                        .. off.Select(w => (JsonNode)new JsonObject { ["id"] = w, ["enabled"] = false }),
                    ]),
                };
                if (everyone is { } enabled)
                {
                    body["global_workspace_access"] = new JsonObject { ["enabled"] = enabled };
                }

                AddDefaultProvider(r, body, noDefault, defaultSlug);
            }

            return client.SendAsync(change ? HttpMethod.Put : HttpMethod.Get, path, body, r.GetValue(json),
                n => $"global: {n["global_workspace_access"]?["enabled"]}{Environment.NewLine}" +
                     Lines(n["workspaces"], w => PortcullisCli.Row(w, "id", "enabled")) +
                     (n["default_providers"] is JsonArray { Count: > 0 } made
                         ? Environment.NewLine + "default providers created:" + Environment.NewLine +
                           Lines(made, p => PortcullisCli.Row(p, "workspace_id", "slug"))
                         : ""), ct);
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(rotate);
        command.Subcommands.Add(delete);
        command.Subcommands.Add(setModels);
        command.Subcommands.Add(grants);
        return command;

        static string Path(string slug) => $"/v1/integrations/{Uri.EscapeDataString(slug)}";
    }

    // create_default_provider and default_provider_slug, sent only when an option asks for them.
    private static void AddDefaultProvider(
        ParseResult r, JsonObject body, Option<bool> noDefault, Option<string?> defaultSlug)
    {
        if (r.GetValue(noDefault))
        {
            body["create_default_provider"] = false;
        }

        Add(body, "default_provider_slug", r.GetValue(defaultSlug));
    }

    public static Command Providers(Option<bool> json)
    {
        var command = new Command("providers", "Manage providers: integrations made usable in a workspace under a slug.");
        var slug = new Argument<string>("slug") { Description = "The provider's slug." };
        var name = new Option<string?>("--name") { Description = "A name for the provider." };
        var integration = new Option<string?>("--integration") { Description = "The integration's slug." };
        var slugOption = new Option<string?>("--slug") { Description = "The slug; derived from the name when omitted." };
        var workspace = new Option<string?>("--workspace") { Description = "Workspace id (default: default)." };
        var note = new Option<string?>("--note") { Description = "A note." };

        var create = new Command("create", "Create a provider from an integration.")
            { name, integration, slugOption, workspace, note };
        create.SetAction((r, ct) => PortcullisCli.WithClient(client =>
        {
            var body = new JsonObject { ["name"] = r.GetValue(name), ["integration_id"] = r.GetValue(integration) };
            Add(body, "slug", r.GetValue(slugOption));
            Add(body, "workspace_id", r.GetValue(workspace));
            Add(body, "note", r.GetValue(note));
            return client.SendAsync(HttpMethod.Post, "/v1/providers", body, r.GetValue(json), n => $"created {n["slug"]}", ct);
        }));

        var list = new Command("list", "List providers (classic virtual keys included).");
        list.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Get, "/v1/providers?page_size=500", null, r.GetValue(json),
            n => Lines(n["data"], p => PortcullisCli.Row(p, "slug", "integration_id", "ai_provider_id", "status", "workspace_id", "name")),
            ct)));

        var get = new Command("get", "Show a provider.") { slug };
        get.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Get, Path(r.GetValue(slug)!), null, r.GetValue(json), Describe, ct)));

        var delete = new Command("delete", "Delete a provider.") { slug };
        delete.SetAction((r, ct) => PortcullisCli.WithClient(client => client.SendAsync(
            HttpMethod.Delete, Path(r.GetValue(slug)!), null, r.GetValue(json), n => $"deleted {n["slug"]}", ct)));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(delete);
        return command;

        static string Path(string slug) => $"/v1/providers/{Uri.EscapeDataString(slug)}";
    }

    private static bool ReadKey(
        ParseResult r, JsonObject body, Option<string?> key, Option<string?> keyEnv, Option<bool> keyStdin)
    {
        if (!PortcullisCli.TryReadSecret(r, key, keyEnv, keyStdin, out string? secret))
        {
            return false;
        }

        Add(body, "key", secret);
        return true;
    }

    private static void Add(JsonObject body, string name, string? value)
    {
        if (value is not null)
        {
            body[name] = value;
        }
    }

    private static string Lines(JsonNode? items, Func<JsonNode?, string> line) =>
        items is JsonArray array && array.Count > 0 ? string.Join(Environment.NewLine, array.Select(line)) : "(none)";

    private static string Describe(JsonNode node) => PortcullisCli.Describe(node);
}
