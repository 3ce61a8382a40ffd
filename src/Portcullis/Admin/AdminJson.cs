using System.Globalization;
using System.Text.Json;
using Portcullis.Storage;

namespace Portcullis.Admin;

/// <summary>Reads admin request bodies field by field and shapes admin responses with Portkey's field names.</summary>
internal static class AdminJson
{
    public static async Task<JsonElement> ReadObjectAsync(
        Microsoft.AspNetCore.Http.HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(
                request.Body, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 32 }, cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw AdminProblem.Validation("The request body must be a JSON object.");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw AdminProblem.Validation("The request body is not valid JSON.");
        }
    }

    public static bool Has(JsonElement body, string name) => body.TryGetProperty(name, out _);

    /// <summary>A required short text (a name): 1 to 200 characters, no control characters.</summary>
    public static string Name(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 200 || value.Any(char.IsControl))
        {
            throw AdminProblem.Validation("name is required: 1 to 200 characters, no control characters.");
        }

        return value.Trim();
    }

    public static string? String(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw AdminProblem.Validation($"{name} must be a string.");
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw AdminProblem.Validation($"{name} is not valid Unicode.");
        }
    }

    public static DateTimeOffset? Time(JsonElement body, string name)
    {
        string? text = String(body, name);
        if (text is null)
        {
            return null;
        }

        return ParseTime(text, name);
    }

    /// <summary>An ISO 8601 date or date-time; without an offset it is UTC. Anything else is a validation error.</summary>
    public static DateTimeOffset ParseTime(string text, string name)
    {
        // ISO 8601 only (2030-01-31 or 2030-01-31T10:00:00Z): no culture-dependent forms such as 1/2/2030.
        bool iso = text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-' && text[7] == '-';
        return iso && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset value)
            ? value
            : throw AdminProblem.Validation($"{name} must be an ISO 8601 date-time such as 2030-01-31T00:00:00Z.");
    }

    public static IReadOnlyList<string>? StringList(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            throw AdminProblem.Validation($"{name} must be an array of strings.");
        }

        try
        {
            return value.EnumerateArray().Select(v => v.GetString()!).ToArray();
        }
        catch (InvalidOperationException)
        {
            throw AdminProblem.Validation($"{name} holds a string that is not valid Unicode.");
        }
    }

    public static IReadOnlyDictionary<string, string>? StringMap(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw AdminProblem.Validation($"{name} must be an object of header names to string values.");
        }

        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            try
            {
                map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? property.Value.GetString()!
                    : throw AdminProblem.Validation($"{name}.{property.Name} must be a string.");
            }
            catch (InvalidOperationException)
            {
                throw AdminProblem.Validation($"{name} holds a string that is not valid Unicode.");
            }
        }

        return map;
    }

    public static (int Offset, int Limit) Paging(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        int size = int.TryParse(request.Query["page_size"], out int s) ? Math.Clamp(s, 1, 500) : 50;
        long page = long.TryParse(request.Query["current_page"], out long p) ? Math.Max(p, 0) : 0;
        return (page > int.MaxValue / size ? int.MaxValue : (int)(page * size), size);
    }

    /// <param name="budgets">The live state of each of the key's budgets (<see cref="LimitsView.StatusesAsync"/>).</param>
    public static object VirtualKey(VirtualKeyRecord r, Budgets.BudgetStatus[] budgets)
    {
        return new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["object"] = "virtual-key",
            ["slug"] = r.Slug,
            ["name"] = r.Name,
            ["provider"] = r.Provider,
            ["ai_provider_name"] = r.Provider,
            ["note"] = r.Note,
            ["status"] = r.Status == "active" && LimitsView.AnyExhausted(budgets) ? "exhausted" : r.Status,
            ["masked_api_key"] = r.KeyMask.Length == 0 ? null : r.KeyMask,
            ["custom_host"] = r.CustomHost,
            ["custom_headers"] = r.CustomHeaderNames.ToDictionary(n => n, _ => "****"),
            ["model_config"] = ModelConfig(r),
            ["workspace_id"] = r.WorkspaceId,
            ["usage_limits"] = LimitsView.UsageLimits(r.UsageLimits, budgets),
            ["rate_limits"] = LimitsView.RateLimits(r.RateLimits),
            ["expires_at"] = r.ExpiresAt,
            ["created_at"] = r.CreatedAt,
            ["last_updated_at"] = r.UpdatedAt,
        };
    }

    // Portkey's camelCase model_config: custom host and header names, and for Azure the resource and deployments.
    private static Dictionary<string, object?> ModelConfig(VirtualKeyRecord r)
    {
        var config = new Dictionary<string, object?>
        {
            ["customHost"] = r.CustomHost,
            ["customHeaders"] = r.CustomHeaderNames.ToDictionary(n => n, _ => "****"),
        };
        if (r.ProviderConfig is not null &&
            JsonSerializer.Deserialize<Providers.AzureConfig>(r.ProviderConfig) is { } azure)
        {
            config["resourceName"] = azure.ResourceName;
            config["authHeaderName"] = azure.AuthHeaderName;
            config["deployments"] = azure.Deployments.Select(d => new Dictionary<string, object?>
            {
                ["alias"] = d.Alias,
                ["deploymentName"] = d.DeploymentName,
                ["apiVersion"] = d.ApiVersion,
                ["aiModelName"] = d.ModelName,
                ["is_default"] = d.IsDefault,
            }).ToArray();
        }

        return config;
    }

    /// <param name="budgets">The live state of each of the key's budgets (<see cref="LimitsView.StatusesAsync"/>).</param>
    public static object ApiKey(ApiKeyRecord r, Budgets.BudgetStatus[] budgets)
    {
        return new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["object"] = "api-key",
            ["key"] = r.KeyMask,
            ["name"] = r.Name,
            ["description"] = r.Description,
            ["type"] = r.Type,
            ["workspace_id"] = r.WorkspaceId,
            ["scopes"] = r.Scopes,
            ["status"] = r.Status == "active" && LimitsView.AnyExhausted(budgets) ? "exhausted" : r.Status,
            ["usage_limits"] = LimitsView.UsageLimits(r.UsageLimits, budgets),
            ["rate_limits"] = LimitsView.RateLimits(r.RateLimits),
            ["expires_at"] = r.ExpiresAt,
            ["created_at"] = r.CreatedAt,
            ["last_updated_at"] = r.UpdatedAt,
            ["allowed_virtual_keys"] = r.AllowedVirtualKeys,
            ["allowed_models"] = r.AllowedModels,
            ["key_transition_expires_at"] = r.PreviousKeyExpiresAt,
        };
    }

    public static object RequestLog(RequestLogRecord r) => new Dictionary<string, object?>
    {
        ["id"] = r.Id,
        ["object"] = "log",
        ["created_at"] = r.StartedAt,
        ["trace_id"] = r.TraceId,
        ["api_key_id"] = r.ApiKeyId,
        ["virtual_key"] = r.VirtualKeySlug,
        ["workspace_id"] = r.WorkspaceId ?? Workspaces.WorkspaceService.DefaultId,
        ["provider"] = r.Provider,
        ["model"] = r.Model,
        ["deployment"] = r.Deployment,
        ["upstream_model"] = r.UpstreamModel,
        ["method"] = r.Method,
        ["path"] = r.Path,
        ["status"] = r.Status,
        ["outcome"] = r.Outcome,
        ["stream"] = r.Stream,
        ["latency_ms"] = Math.Round(r.LatencyMs, 3),
        ["prompt_tokens"] = r.PromptTokens,
        ["completion_tokens"] = r.CompletionTokens,
        ["total_tokens"] = r.TotalTokens,
        ["cached_prompt_tokens"] = r.CachedPromptTokens,
        ["tokens_estimated"] = r.TokensEstimated,
        ["cost"] = r.CostPico is { } cost ? Pricing.Money.ToDollars(cost) : null,
    };

    public static object Audit(AuditRecord r) => new Dictionary<string, object?>
    {
        ["id"] = r.Id,
        ["object"] = "audit-log",
        ["at"] = r.At,
        ["actor_key_id"] = r.ActorKeyId,
        ["action"] = r.Action,
        ["target_type"] = r.TargetType,
        ["target_id"] = r.TargetId,
        ["detail"] = r.Detail,
    };

    /// <summary>A list whose items need a lookup each (a key's live budgets), shaped one after the other.</summary>
    public static async Task<object> ListAsync<T>(Page<T> page, Func<T, Task<object>> shape)
    {
        var items = new object[page.Items.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = await shape(page.Items[i]);
        }

        return List(new Page<object>(items, page.Total), item => item);
    }

    public static object List<T>(Page<T> page, Func<T, object> shape) => new Dictionary<string, object?>
    {
        ["object"] = "list",
        ["total"] = page.Total,
        ["data"] = page.Items.Select(shape).ToArray(),
    };

    /// <summary>The names of the fields a change touched, for the audit log: enough to audit, never a value.</summary>
    public static string FieldsChanged(JsonElement body) =>
        "fields: " + string.Join(",", body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
}
