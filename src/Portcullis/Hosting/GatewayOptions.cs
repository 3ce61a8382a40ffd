namespace Portcullis.Hosting;

/// <summary>
/// Settings of one gateway process. Bound from the command line, <c>PORTCULLIS_*</c> environment variables and the
/// <c>Portcullis</c> configuration section; validated at start-up with every problem reported at once.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>Where to listen. Defaults to <c>http://127.0.0.1:8787</c>, the port Portkey's SDKs assume locally.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8787";

    /// <summary>Holds the SQLite database and, when no key is configured, the master key file. Defaults to <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Base64 of 32 bytes, or a <c>vN:base64,...</c> list while rotating. Unset: a key file in the data directory.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Sets the first admin key on first start. Unset: one is generated and printed once.</summary>
    public string? AdminKey { get; set; }

    /// <summary>The largest request body accepted, in bytes (default 100 MiB); larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// The largest non-streamed upstream answer relayed, in bytes (default 256 MiB): such answers are read whole to
    /// count their tokens, so this bounds the memory one request can take. Larger answers get 502.
    /// </summary>
    public long MaxResponseBodyBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>How long to wait for a TCP connection to an upstream (default 10 s); past it the answer is 502.</summary>
    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long to wait for the upstream's response headers (default 600 s, as a non-streamed completion sends its
    /// headers only when it is done); past it the answer is 504.
    /// </summary>
    public TimeSpan UpstreamResponseTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>Longest silence tolerated between two chunks of a streamed answer (default 120 s).</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long SIGTERM waits for requests in flight to finish (default 30 s).</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Base URLs per provider id, overriding the built-in ones (for example to point <c>openai</c> at a proxy).</summary>
    public Dictionary<string, string> ProviderBaseUrls { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Multi-tenant strict mode: custom hosts may not reach loopback, private or shared addresses either (default off,
    /// because self-hosted models usually live there). Hosts of <see cref="ProviderBaseUrls"/> and
    /// <see cref="AllowedCustomHosts"/> stay reachable.
    /// </summary>
    public bool StrictCustomHosts { get; set; }

    /// <summary>Hosts that custom hosts may resolve to even when they are link-local or metadata addresses.</summary>
    public List<string> AllowedCustomHosts { get; set; } = [];

    /// <summary>
    /// Where budget events (alert threshold crossed, budget used up) are POSTed as JSON, once per period each; none when
    /// unset. Also <c>PORTCULLIS_BUDGET_WEBHOOK_URL</c>.
    /// </summary>
    public string? BudgetWebhookUrl { get; set; }

    /// <summary>
    /// The output tokens a request is assumed to ask for when it sets no <c>max_tokens</c> and the pricing catalog knows
    /// no output limit for its model; part of the worst case a hard budget reserves.
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = 4096;

    /// <summary>
    /// How long a database write waits for a lock held by someone else before it fails. When the usage ledger cannot
    /// write, requests are refused with 503 rather than sent upstream unrecorded.
    /// </summary>
    public TimeSpan StoreBusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Which requests wait for their pending usage record to be on disk before the upstream call: all (the default), or
    /// only those a budget applies to. The wait is one shared fsync per batch of requests arriving together.
    /// </summary>
    public UsageDurability UsageDurability { get; set; } = UsageDurability.Always;

    public string DatabasePath => Path.Combine(DataDirectory, "portcullis.db");

    public string MasterKeyFilePath => Path.Combine(DataDirectory, "master.key");

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        foreach (string url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"--urls: '{url}' is not an http(s) URL.");
            }
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("--data-dir must not be empty.");
        }

        if (MaxRequestBodyBytes < 1024)
        {
            errors.Add("MaxRequestBodyBytes must be at least 1024.");
        }

        if (MaxResponseBodyBytes is < 1024 or > 1L << 30)
        {
            errors.Add("MaxResponseBodyBytes must be between 1024 and 1 GiB.");
        }

        if (BudgetWebhookUrl is not null &&
            (!Uri.TryCreate(BudgetWebhookUrl, UriKind.Absolute, out Uri? hook) || hook.Scheme is not ("http" or "https")))
        {
            errors.Add("BudgetWebhookUrl must be an http(s) URL.");
        }

        if (DefaultMaxOutputTokens < 1)
        {
            errors.Add("DefaultMaxOutputTokens must be at least 1.");
        }

        foreach ((string id, string baseUrl) in ProviderBaseUrls)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"ProviderBaseUrls:{id}: '{baseUrl}' is not an http(s) URL.");
            }
        }

        foreach ((string name, TimeSpan value) in (ReadOnlySpan<(string, TimeSpan)>)
        [
            ("UpstreamConnectTimeout", UpstreamConnectTimeout), ("UpstreamResponseTimeout", UpstreamResponseTimeout),
            ("StreamIdleTimeout", StreamIdleTimeout), ("ShutdownTimeout", ShutdownTimeout),
            ("StoreBusyTimeout", StoreBusyTimeout),
        ])
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{name} must be positive.");
            }
        }

        return errors;
    }
}
