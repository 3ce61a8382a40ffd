using Portcullis.Hosting;

namespace Portcullis.Providers;

/// <summary>
/// The provider ids Portcullis knows and where each one lives. Ids follow Portkey's names. Self-hosted ids have no
/// base URL of their own: their virtual keys must set a custom host.
/// </summary>
internal sealed class ProviderCatalog
{
    private static readonly Dictionary<string, string?> BuiltIn = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = "https://api.openai.com/v1",
        [AzureConfig.ProviderId] = null,
        [Anthropic.AnthropicApi.ProviderId] = "https://api.anthropic.com/v1",

        // Hosted clouds that speak OpenAI's format: a user gives only the key.
        ["groq"] = "https://api.groq.com/openai/v1",
        ["mistral-ai"] = "https://api.mistral.ai/v1",
        ["together-ai"] = "https://api.together.xyz/v1",
        ["deepseek"] = "https://api.deepseek.com/v1",
        ["openrouter"] = "https://openrouter.ai/api/v1",
        ["fireworks-ai"] = "https://api.fireworks.ai/inference/v1",
        ["x-ai"] = "https://api.x.ai/v1",
        ["perplexity-ai"] = "https://api.perplexity.ai",
        ["ollama"] = null,
        ["vllm"] = null,
        ["llama-cpp"] = null,
        ["lm-studio"] = null,
        ["openai-compatible"] = null,
    };

    private readonly Dictionary<string, Uri?> _baseUrls;

    public ProviderCatalog(GatewayOptions options)
    {
        _baseUrls = BuiltIn.ToDictionary(p => p.Key, p => p.Value is null ? null : new Uri(p.Value), StringComparer.OrdinalIgnoreCase);
        foreach ((string id, string url) in options.ProviderBaseUrls)
        {
            _baseUrls[id] = new Uri(url.TrimEnd('/'));
        }
    }

    public IEnumerable<string> Ids => _baseUrls.Keys.Order(StringComparer.Ordinal);

    public bool IsKnown(string id) => _baseUrls.ContainsKey(id);

    /// <summary>The provider's own base URL (ending in the version path), or null for a self-hosted id.</summary>
    public Uri? BaseUrlOf(string id) => _baseUrls.GetValueOrDefault(id);

    /// <summary>Canonical spelling of a known id (ids are matched without regard to case).</summary>
    public string Canonical(string id) => _baseUrls.Keys.First(k => string.Equals(k, id, StringComparison.OrdinalIgnoreCase));
}
