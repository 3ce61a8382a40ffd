using System.CommandLine;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// The <c>portcullis</c> command: <c>serve</c>, and admin subcommands that talk to a running gateway. Exit codes:
/// 0 success, 1 the gateway refused, 2 usage or start-up error, 3 gateway unreachable.
/// </summary>
internal static class PortcullisCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var json = new Option<bool>("--json") { Description = "Print the gateway's JSON answer.", Recursive = true };
        var root = new RootCommand("Portcullis: a self-hosted AI gateway with a vault for LLM provider keys.")
        {
            ServeCommand.Create(),
            VirtualKeysCommand(json),
            ApiKeysCommand(json),
            VaultCommand(json),
            LogsCommand(json),
            PricingCommand(json),
            UsageCommand.Create(json),
            WorkspacesCommand.Create(json),
            CatalogCommands.Integrations(json),
            CatalogCommands.Providers(json),
        };
        root.Options.Add(json);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                Console.Error.WriteLine($"portcullis: {error.Message}");
            }

            Console.Error.WriteLine("Run 'portcullis --help' for usage.");
            return AdminClient.ExitUsage;
        }

        return await parsed.InvokeAsync();
    }

    private static Command VirtualKeysCommand(Option<bool> json)
    {
        var command = new Command("virtual-keys", "Manage virtual keys (PORTCULLIS_URL, PORTCULLIS_ADMIN_KEY).");

        var name = new Option<string?>("--name") { Description = "A name for the key." };
        var provider = new Option<string?>("--provider") { Description = "Provider id, for example openai." };
        var key = new Option<string?>("--key") { Description = "The provider API key (prefer --key-env or --key-stdin)." };
        var keyEnv = new Option<string?>("--key-env") { Description = "Read the provider key from this environment variable." };
        var keyStdin = new Option<bool>("--key-stdin") { Description = "Read the provider key from standard input." };
        var note = new Option<string?>("--note") { Description = "A note." };
        var customHost = new Option<string?>("--custom-host") { Description = "Base URL of a self-hosted server, with /v1." };
        var header = new Option<string[]>("--header")
        {
            Description = "A custom header NAME=VALUE (repeatable); NAME=env:VAR reads the value from a variable.",
            AllowMultipleArgumentsPerToken = false,
        };
        var share = new Option<string?>("--share-key-with") { Description = "Share the stored key of this virtual key." };
        var status = new Option<string?>("--status") { Description = "active or disabled." };
        var slug = new Argument<string>("slug") { Description = "The virtual key's slug." };
        var workspace = new Option<string?>("--workspace") { Description = "The workspace id (create in it, list only it)." };

        var create = new Command("create", "Create a virtual key.")
            { name, provider, key, keyEnv, keyStdin, note, customHost, header, share, workspace };
        var createLimits = new LimitOptions(update: false);
        createLimits.AddTo(create);
        create.SetAction((r, ct) => WithClient(async client =>
        {
            JsonObject body = new()
            {
                ["name"] = r.GetValue(name), ["provider"] = r.GetValue(provider), ["workspace_id"] = r.GetValue(workspace),
            };
            if (!AddCommon(r, body, key, keyEnv, keyStdin, note, customHost, header))
            {
                return AdminClient.ExitUsage;
            }

            if (r.GetValue(share) is { } shared)
            {
                body["share_key_with"] = shared;
            }

            int limited = await createLimits.AddToBodyAsync(r, body, client, "/v1/virtual-keys", r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Post, "/v1/virtual-keys", body,
                r.GetValue(json), n => $"created {n["slug"]}", ct);
        }));

        var list = new Command("list", "List virtual keys.") { workspace };
        list.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Get,
            "/v1/virtual-keys?page_size=500" + WorkspaceQuery(r.GetValue(workspace)), null,
            r.GetValue(json), n => Lines(n["data"], k =>
                $"{Row(k, "slug", "provider", "status", "masked_api_key")}\t{LimitsText.BudgetColumn(k)}\t{Row(k, "name")}"), ct)));

        var get = new Command("get", "Show a virtual key.") { slug };
        get.SetAction((r, ct) => WithClient(client => client.SendAsync(
            HttpMethod.Get, $"/v1/virtual-keys/{Uri.EscapeDataString(r.GetValue(slug)!)}", null, r.GetValue(json),
            LimitsText.DescribeKey, ct)));

        var update = new Command("update", "Change a virtual key; --key rotates its provider secret.")
            { slug, name, key, keyEnv, keyStdin, note, customHost, header, status };
        var updateLimits = new LimitOptions(update: true);
        updateLimits.AddTo(update);
        update.SetAction((r, ct) => WithClient(async client =>
        {
            string path = $"/v1/virtual-keys/{Uri.EscapeDataString(r.GetValue(slug)!)}";
            JsonObject body = [];
            if (r.GetValue(name) is { } n)
            {
                body["name"] = n;
            }

            if (r.GetValue(status) is { } s)
            {
                body["status"] = s;
            }

            if (!AddCommon(r, body, key, keyEnv, keyStdin, note, customHost, header))
            {
                return AdminClient.ExitUsage;
            }

            int limited = await updateLimits.AddToBodyAsync(r, body, client, path, r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Put, path, body,
                r.GetValue(json), node => $"updated {node["slug"]}", ct);
        }));

        var delete = new Command("delete", "Delete a virtual key.") { slug };
        delete.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Delete,
            $"/v1/virtual-keys/{Uri.EscapeDataString(r.GetValue(slug)!)}", null, r.GetValue(json), n => $"deleted {n["slug"]}", ct)));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(update);
        command.Subcommands.Add(delete);
        return command;
    }

    private static Command ApiKeysCommand(Option<bool> json)
    {
        var command = new Command("api-keys", "Manage gateway API keys (PORTCULLIS_URL, PORTCULLIS_ADMIN_KEY).");
        var name = new Option<string?>("--name") { Description = "A name for the key." };
        var scopes = new Option<string?>("--scopes") { Description = "Comma-separated scopes (default completions.write)." };
        var type = new Option<string>("--type") { Description = "organisation or workspace.", DefaultValueFactory = _ => "organisation" };
        var subType = new Option<string>("--sub-type") { Description = "service or user.", DefaultValueFactory = _ => "service" };
        var description = new Option<string?>("--description") { Description = "A description." };
        var id = new Argument<string>("id") { Description = "The API key's id." };
        var workspace = new Option<string?>("--workspace") { Description = "The workspace id (create in it, list only it)." };

        var create = new Command("create", "Create an API key; the key is shown once.")
            { name, scopes, type, subType, description, workspace };
        var createLimits = new LimitOptions(update: false);
        createLimits.AddTo(create);
        var createAccess = new ApiKeyAccessOptions(update: false);
        createAccess.AddTo(create);
        create.SetAction((r, ct) => WithClient(async client =>
        {
            JsonArray scopeList = ScopeList(r.GetValue(scopes) ?? "completions.write");
            JsonObject body = new()
            {
                ["name"] = r.GetValue(name), ["scopes"] = scopeList, ["description"] = r.GetValue(description),
                ["workspace_id"] = r.GetValue(workspace),
            };
            createAccess.AddToBody(r, body);
            string path = $"/v1/api-keys/{r.GetValue(type)}/{r.GetValue(subType)}";
            int limited = await createLimits.AddToBodyAsync(r, body, client, path, r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Post, path, body, r.GetValue(json),
                n => $"id:  {n["id"]}\nkey: {n["key"]}\n(the key is shown only this once)", ct);
        }));

        var list = new Command("list", "List API keys.") { workspace };
        list.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Get,
            "/v1/api-keys?page_size=500" + WorkspaceQuery(r.GetValue(workspace)), null,
            r.GetValue(json), n => Lines(n["data"], k =>
                $"{k?["id"]}\t{k?["type"]}\t{k?["status"]}\t{k?["key"]}\t{LimitsText.BudgetColumn(k)}\t{k?["name"]}"), ct)));

        var get = new Command("get", "Show an API key.") { id };
        get.SetAction((r, ct) => WithClient(client => client.SendAsync(
            HttpMethod.Get, $"/v1/api-keys/{Uri.EscapeDataString(r.GetValue(id)!)}", null, r.GetValue(json),
            LimitsText.DescribeKey, ct)));

        var newScopes = new Option<string?>("--scopes") { Description = "Comma-separated scopes; replaces the key's scopes." };
        var status = new Option<string?>("--status") { Description = "active or disabled." };
        var update = new Command("update", "Change an API key: name, description, status, scopes, budgets and rate limits.")
            { id, name, description, status, newScopes };
        var updateLimits = new LimitOptions(update: true);
        updateLimits.AddTo(update);
        var updateAccess = new ApiKeyAccessOptions(update: true);
        updateAccess.AddTo(update);
        update.SetAction((r, ct) => WithClient(async client =>
        {
            string path = $"/v1/api-keys/{Uri.EscapeDataString(r.GetValue(id)!)}";
            JsonObject body = [];
            updateAccess.AddToBody(r, body);
            foreach ((string field, Option<string?> option) in (ReadOnlySpan<(string, Option<string?>)>)
                [("name", name), ("description", description), ("status", status)])
            {
                if (r.GetValue(option) is { } value)
                {
                    body[field] = value;
                }
            }

            if (r.GetValue(newScopes) is { } listed)
            {
                body["scopes"] = ScopeList(listed);
            }

            int limited = await updateLimits.AddToBodyAsync(r, body, client, path, r.GetValue(json), ct);
            return limited != AdminClient.ExitOk ? limited : await client.SendAsync(HttpMethod.Put, path, body, r.GetValue(json),
                n => $"updated {n["id"]}", ct);
        }));

        var delete = new Command("delete", "Delete an API key.") { id };
        delete.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Delete,
            $"/v1/api-keys/{Uri.EscapeDataString(r.GetValue(id)!)}", null, r.GetValue(json), n => $"deleted {n["id"]}", ct)));

        command.Subcommands.Add(create);
        command.Subcommands.Add(list);
        command.Subcommands.Add(get);
        command.Subcommands.Add(update);
        command.Subcommands.Add(delete);
        command.Subcommands.Add(ApiKeyRotateCommand.Create(json));
        return command;
    }

    private static string WorkspaceQuery(string? workspace) =>
        workspace is null ? "" : "&workspace_id=" + Uri.EscapeDataString(workspace);

    private static JsonArray ScopeList(string commaSeparated) =>
        [.. commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(scope => (JsonNode)scope)];

    private static Command VaultCommand(Option<bool> json)
    {
        var command = new Command("vault", "Vault operations on a running gateway.");
        var rotate = new Command("rotate-master-key", "Add a master-key version and re-wrap every data key, online.");
        rotate.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Post, "/v1/admin/vault/rotate-master-key",
            [], r.GetValue(json), n => $"master key now at version {n["active_version"]}; {n["rewrapped"]} data keys re-wrapped", ct)));
        var status = new Command("status", "Show master-key versions and how many secrets each wraps.");
        status.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Get, "/v1/admin/vault", null, true, Describe, ct)));
        command.Subcommands.Add(rotate);
        command.Subcommands.Add(status);
        return command;
    }

    private static Command LogsCommand(Option<bool> json)
    {
        var command = new Command("logs", "List recent request logs; cost in USD, 'estimated' where Portcullis counted the tokens.");
        var filter = new LogFilterOptions();
        filter.AddTo(command);
        var limit = new Option<int?>("--limit")
        {
            Description = "Records per page, 1 to 500 (default 100).", CustomParser = NumberParsers.Int,
        };
        var page = new Option<int?>("--page") { Description = "Which page, from 0 (default 0).", CustomParser = NumberParsers.Int };
        command.Options.Add(limit);
        command.Options.Add(page);
        command.SetAction((r, ct) =>
        {
            int size = Math.Clamp(r.GetValue(limit) ?? 100, 1, 500);
            int current = Math.Max(r.GetValue(page) ?? 0, 0);
            return WithClient(client => client.SendAsync(
                HttpMethod.Get, $"/v1/logs?page_size={size}&current_page={current}{filter.Query(r)}", null, r.GetValue(json),
                n => Lines(n["data"], l => Row(
                    l, "created_at", "status", "virtual_key", "model", "prompt_tokens", "completion_tokens", "cost", "trace_id") +
                    (l?["tokens_estimated"]?.GetValue<bool>() == true ? "\testimated" : "")) + PageFooter(n, size, current),
                ct));
        });
        return command;
    }

    private static Command PricingCommand(Option<bool> json)
    {
        var command = new Command("pricing", "Show and change the prices costs are counted by (USD per 1M tokens).");
        var virtualKey = new Option<string?>("--virtual-key") { Description = "A virtual key's slug: the prices of that key." };
        var modelFilter = new Option<string?>("--model") { Description = "Only the price that applies to this model." };
        var model = new Argument<string>("model") { Description = "The model name, for example gpt-4o." };
        var input = new Option<decimal?>("--input")
        {
            Description = "USD per 1M input tokens.", Required = true, CustomParser = NumberParsers.Decimal,
        };
        var output = new Option<decimal?>("--output")
        {
            Description = "USD per 1M output tokens.", Required = true, CustomParser = NumberParsers.Decimal,
        };
        var cachedInput = new Option<decimal?>("--cached-input")
        {
            Description = "USD per 1M cached input tokens (default: --input).", CustomParser = NumberParsers.Decimal,
        };
        var maxOutput = new Option<int?>("--max-output-tokens")
        {
            Description = "The most tokens the model writes in one answer.", CustomParser = NumberParsers.Int,
        };

        var list = new Command("list", "List prices: the organisation's, or those that apply to one virtual key.")
        {
            virtualKey, modelFilter,
        };
        list.SetAction((r, ct) => WithClient(client =>
        {
            string query = "page_size=500" + Query("virtual_key", r.GetValue(virtualKey)) + Query("model", r.GetValue(modelFilter));
            return client.SendAsync(HttpMethod.Get, $"/v1/admin/pricing?{query}", null, r.GetValue(json), n => Lines(n["data"], p => Row(
                p, "model", "virtual_key", "input", "cached_input", "output", "max_output_tokens", "source")), ct);
        }));

        var set = new Command("set", "Set a model's price, organisation-wide or for one virtual key.")
            { model, input, output, cachedInput, maxOutput, virtualKey };
        set.SetAction((r, ct) => WithClient(client =>
        {
            JsonObject body = new() { ["model"] = r.GetValue(model), ["input"] = r.GetValue(input), ["output"] = r.GetValue(output) };
            if (r.GetValue(cachedInput) is { } cached)
            {
                body["cached_input"] = cached;
            }

            if (r.GetValue(maxOutput) is { } max)
            {
                body["max_output_tokens"] = max;
            }

            if (r.GetValue(virtualKey) is { } slug)
            {
                body["virtual_key"] = slug;
            }

            return client.SendAsync(HttpMethod.Put, "/v1/admin/pricing", body, r.GetValue(json), n =>
                $"set {n["model"]}{(n["virtual_key"] is { } k ? $" for {k}" : "")}: input {n["input"]}, cached input " +
                $"{n["cached_input"]}, output {n["output"]} USD per 1M tokens", ct);
        }));

        var delete = new Command("delete", "Remove a price an admin set; the shipped price (if any) applies again.")
            { model, virtualKey };
        delete.SetAction((r, ct) => WithClient(client => client.SendAsync(HttpMethod.Delete,
            "/v1/admin/pricing?" + Query("model", r.GetValue(model))[1..] + Query("virtual_key", r.GetValue(virtualKey)), null,
            r.GetValue(json), n => $"deleted the price of {n["model"]}{(n["virtual_key"] is { } k ? $" for {k}" : "")}", ct)));

        command.Subcommands.Add(list);
        command.Subcommands.Add(set);
        command.Subcommands.Add(delete);
        return command;
    }

    private static string Query(string name, string? value) => value is null ? "" : $"&{name}={Uri.EscapeDataString(value)}";

    /// <summary>
    /// The provider key from <c>--key</c>, <c>--key-env</c> (the variable's value, so it stays out of the shell's
    /// history) or <c>--key-stdin</c>; false, after saying so, when the named variable is empty.
    /// </summary>
    internal static bool TryReadSecret(
        ParseResult r, Option<string?> key, Option<string?> keyEnv, Option<bool> keyStdin, out string? secret)
    {
        secret = r.GetValue(key);
        if (r.GetValue(keyEnv) is { } variable)
        {
            secret = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(secret))
            {
                Console.Error.WriteLine($"portcullis: environment variable {variable} is empty.");
                return false;
            }
        }
        else if (r.GetValue(keyStdin))
        {
            secret = Console.In.ReadToEnd().Trim();
        }

        return true;
    }

    private static bool AddCommon(
        ParseResult r, JsonObject body, Option<string?> key, Option<string?> keyEnv, Option<bool> keyStdin, Option<string?> note,
        Option<string?> customHost, Option<string[]> header)
    {
        if (!TryReadSecret(r, key, keyEnv, keyStdin, out string? secret))
        {
            return false;
        }

        if (secret is not null)
        {
            body["key"] = secret;
        }

        if (r.GetValue(note) is { } n)
        {
            body["note"] = n;
        }

        if (r.GetValue(customHost) is { } host)
        {
            body["custom_host"] = host;
        }

        string[] headers = r.GetValue(header) ?? [];
        if (headers.Length > 0)
        {
            var map = new JsonObject();
            foreach (string pair in headers)
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    Console.Error.WriteLine($"portcullis: --header wants NAME=VALUE, got '{pair.Split('=')[0]}'.");
                    return false;
                }

                string value = pair[(equals + 1)..];
                if (value.StartsWith("env:", StringComparison.Ordinal))
                {
                    value = Environment.GetEnvironmentVariable(value[4..]) ?? "";
                    if (value.Length == 0)
                    {
                        Console.Error.WriteLine($"portcullis: environment variable {pair[(equals + 5)..]} is empty.");
                        return false;
                    }
                }

                map[pair[..equals]] = value;
            }

            body["custom_headers"] = map;
        }

        return true;
    }

    internal static async Task<int> WithClient(Func<AdminClient, Task<int>> action)
    {
        using var client = new AdminClient();
        return await action(client);
    }

    // Says when a list goes on past this page, and how to see the next one.
    private static string PageFooter(JsonNode answer, int size, int current)
    {
        long total = answer["total"]?.GetValue<long>() ?? 0;
        long shown = Math.Min(total, ((long)current + 1) * size);
        return shown < total
            ? $"{Environment.NewLine}({shown} of {total}; the next page: --page {current + 1})"
            : "";
    }

    private static string Lines(JsonNode? items, Func<JsonNode?, string> line) =>
        items is JsonArray array && array.Count > 0 ? string.Join(Environment.NewLine, array.Select(line)) : "(none)";

    internal static string Row(JsonNode? item, params string[] fields) =>
        string.Join('\t', fields.Select(f => Printable(item?[f]?.ToString() ?? "-")));

    // Values come from clients (a model name can hold a tab or a newline): control characters are shown escaped, so a
    // value can never forge a column or a row.
    private static string Printable(string value)
    {
        if (!value.Any(char.IsControl))
        {
            return value;
        }

        var text = new System.Text.StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }

        return text.ToString();
    }

    /// <summary>
    /// One field per line: strings as they are (control characters escaped, so a name cannot forge a line), anything
    /// else as compact JSON.
    /// </summary>
    internal static string Describe(JsonNode node) =>
        node is JsonObject o
            ? string.Join(Environment.NewLine, o.Select(p => $"{p.Key}: {ValueText(p.Value)}"))
            : ValueText(node);

    private static string ValueText(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue(out string? text) => Printable(text),
        _ => value.ToJsonString(ReadableJson),
    };

    // Terminal output, not HTML: '+' and non-ASCII letters stay as they are.
    private static readonly System.Text.Json.JsonSerializerOptions ReadableJson = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
