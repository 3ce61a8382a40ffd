using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Audit;
using Portcullis.Diagnostics;
using Portcullis.Hosting;
using Portcullis.Pricing;

namespace Portcullis.Budgets;

/// <summary>
/// Delivers budget events behind the request: each goes to the audit log and, when
/// <see cref="GatewayOptions.BudgetWebhookUrl"/> is set, to that webhook as a JSON POST (one attempt, 10 s, redirects
/// not followed). The ledger raises an event once per period, so a receiver sees each crossing once.
/// </summary>
internal sealed class BudgetAlerts(AuditTrail audit, GatewayOptions options, ILogger<BudgetAlerts> logger) : BackgroundService
{
    private readonly Channel<BudgetEvent> _events = Channel.CreateBounded<BudgetEvent>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public void Raise(BudgetEvent e)
    {
        GatewayLog.BudgetEventRaised(logger, e.Kind, e.Owner.Kind, e.Owner.Id, e.Type, e.CurrentUsage, e.CreditLimit);
        _events.Writer.TryWrite(e);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _events.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (BudgetEvent e in _events.Reader.ReadAllAsync(CancellationToken.None))
        {
            Dictionary<string, object?> payload = Payload(e);
            try
            {
                await audit.RecordAsync(null, e.Kind, e.Owner.Kind.Replace('_', '-'), e.Owner.Label,
                    $"{e.Type} usage {Amount(e.Type, e.CurrentUsage)} of {Amount(e.Type, e.CreditLimit)}", CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                GatewayLog.BudgetWebhookFailed(logger, e.Kind, "audit log: " + ex.GetType().Name);
            }

            if (options.BudgetWebhookUrl is not { } url)
            {
                continue;
            }

            try
            {
                using HttpResponseMessage response = await _http.PostAsJsonAsync(url, payload, stoppingToken);
                if (!response.IsSuccessStatusCode)
                {
                    GatewayLog.BudgetWebhookFailed(logger, e.Kind, $"status {(int)response.StatusCode}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                GatewayLog.BudgetWebhookFailed(logger, e.Kind, ex.GetType().Name);
            }
        }
    }

    private static Dictionary<string, object?> Payload(BudgetEvent e) => new()
    {
        ["event"] = e.Kind,
        ["at"] = e.At,
        [e.Owner.Kind] = e.Owner.Label,
        ["budget_type"] = e.Type,
        ["credit_limit"] = Amount(e.Type, e.CreditLimit),
        ["alert_threshold"] = e.AlertThreshold is { } t ? Amount(e.Type, t) : null,
        ["current_usage"] = Amount(e.Type, e.CurrentUsage),
        ["period_start"] = e.PeriodStart,
        ["next_usage_reset_at"] = e.NextResetAt,
    };

    private static decimal Amount(string type, long value) => type == "cost" ? Money.ToDollars(value) : value;
}
