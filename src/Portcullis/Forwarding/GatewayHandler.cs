using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Portcullis.ApiKeys;
using Portcullis.Budgets;
using Portcullis.Diagnostics;
using Portcullis.Governance;
using Portcullis.Hosting;
using Portcullis.Limits;
using Portcullis.Pricing;
using Portcullis.Providers;
using Portcullis.Providers.Anthropic;
using Portcullis.Storage;
using Portcullis.Usage;
using Portcullis.Usage.Tokens;
using Portcullis.Vault;

namespace Portcullis.Forwarding;

/// <summary>
/// The data plane: one request through the pipeline in order (authenticate, resolve, authorize, admit, unseal, build,
/// forward, settle). Refusals are values written as JSON; only bugs throw.
/// </summary>
internal sealed class GatewayHandler(
    ApiKeyService apiKeys,
    TargetResolver targets,
    VaultService vault,
    HttpMessageInvoker upstream,
    IUsageLedger ledger,
    AdmissionGate gate,
    IRateLimitCounters rates,
    GatewayOptions options,
    TimeProvider time,
    ILogger<GatewayHandler> logger)
{
    private static readonly HashSet<string> ResponseHeadersNotCopied = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "proxy-authenticate", "te",
        "trailer", "server", "date", "set-cookie", "alt-svc", "content-length",
    };

    /// <summary>Counts gateways a request has passed, so a virtual key pointing back at a gateway cannot loop.</summary>
    public const string HopsHeader = "x-portcullis-hops";

    private const int MaxHops = 5;

    private static readonly string[] ForwardedRequestHeaders =
    [
        "accept", "openai-beta", "openai-organization", "openai-project",
    ];

    /// <summary>Handles <c>/v1/{operation}</c>: chat/completions, completions, embeddings (POST) or models (GET).</summary>
    public async Task HandleAsync(HttpContext context, string operation)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        CancellationToken aborted = context.RequestAborted;
        long startTimestamp = time.GetTimestamp();
        DateTimeOffset startedAt = time.GetUtcNow();
        string traceId = response.Headers[GatewayResponses.TraceIdHeader].ToString();

        var log = new RequestLogDraft(traceId, request.Method, "/v1/" + operation, startedAt);
        RequestBody body = RequestBody.Empty;
        Admission? admitted = null;
        OutputCapture? capture = null;
        try
        {
            // 1. Authenticate the caller with a gateway API key.
            (string? gatewayKey, string? providerCredential) = ReadCredentials(request);
            Caller? caller = gatewayKey is null ? null : await apiKeys.AuthenticateAsync(gatewayKey, aborted);
            if (caller is null)
            {
                await RefuseAsync(context, log, GatewayError.Unauthenticated(gatewayKey is null
                    ? "Missing gateway API key: send it in x-portkey-api-key or Authorization: Bearer."
                    : "Invalid API Key"));
                return;
            }

            log.ApiKeyId = caller.KeyId;
            log.WorkspaceId = caller.WorkspaceId;
            int hops = int.TryParse(request.Headers[HopsHeader], out int h) ? Math.Max(h, 0) : 0;
            if (hops >= MaxHops)
            {
                await RefuseAsync(context, log, new GatewayError(508, "loop_detected", "loop_detected",
                    $"The request has passed {hops} gateways; a virtual key's custom host probably points back at a gateway."));
                return;
            }

            // 2. Read the body once (bounded) and find the few fields the gateway acts on.
            RequestBodyFacts facts = default;
            if (HttpMethods.IsPost(request.Method))
            {
                RequestBody? read = await RequestBody.ReadAsync(request.Body, request.ContentLength, options.MaxRequestBodyBytes, aborted);
                if (read is null)
                {
                    response.Headers.Connection = "close";
                    await RefuseAsync(context, log, GatewayError.TooLarge(options.MaxRequestBodyBytes));
                    return;
                }

                body = read;
                RequestBodyFacts? inspected = RequestBodyInspector.Inspect(body.Span, out string? problem);
                if (inspected is null)
                {
                    await RefuseAsync(context, log, GatewayError.BadRequest(problem!, "invalid_body"));
                    return;
                }

                facts = inspected.Value;
                log.Stream = facts.Stream;
            }

            // A Portcullis key is never a provider key: sent as one, it would leave for the upstream.
            if (providerCredential is not null && await apiKeys.IsGatewayKeyAsync(providerCredential, aborted))
            {
                await RefuseAsync(context, log, GatewayError.BadRequest(
                    "Authorization holds a Portcullis API key; send the provider's key there for pass-through, or use a " +
                    "virtual key.", "gateway_key_as_provider_key"));
                return;
            }

            // 3. Resolve the target: a virtual key, or pass-through.
            string? model = facts.Model ?? (string?)request.Query["model"];
            Target target = await targets.ResolveAsync(request, model, providerCredential, caller, aborted);
            if (target.Error is { } targetError)
            {
                await RefuseAsync(context, log, targetError);
                return;
            }

            log.Provider = target.Provider;
            log.VirtualKeySlug = target.VirtualKey?.Record.Slug;
            log.WorkspaceId = target.VirtualKey?.Record.WorkspaceId ?? caller.WorkspaceId;
            log.Model = Truncate(target.BareModel ?? model, 256);
            response.Headers[GatewayResponses.ProviderHeader] = target.Provider;

            // 4. Authorize: completions need completions.write; pass-through needs its own scope as well.
            if (!caller.Has(Scopes.CompletionsWrite) || (target.PassthroughKey is not null && !caller.Has(Scopes.ProvidersPassthrough)))
            {
                await RefuseAsync(context, log, GatewayError.Forbidden(target.PassthroughKey is null
                    ? "This API key lacks the completions.write scope."
                    : "This API key may not use pass-through (scope providers.passthrough)."));
                return;
            }

            // The key's own limits: only its virtual keys, only its models. An Azure request is judged by the deployment
            // that will answer it (an unknown alias falls to the default one), never by the name alone.
            AzureDeployment? deployment =
                operation == "models" ? null : target.VirtualKey?.Azure?.Select(target.BareModel ?? facts.Model);
            if (ApiKeyAllowList.Check(caller, target, operation, target.BareModel ?? model, deployment) is { } notAllowed)
            {
                await RefuseAsync(context, log, notAllowed);
                return;
            }

            // Anthropic keys speak the Messages API: chat completions are translated, /v1/messages passes through.
            Dialects dialects = Dialects.Of(operation, target.Provider);
            if (dialects.UpstreamAnthropic && operation is not ("chat/completions" or "messages"))
            {
                await RefuseAsync(context, log, GatewayError.BadRequest(
                    $"/v1/{operation} is not available for anthropic keys; use /v1/chat/completions or /v1/messages.",
                    "unsupported_operation"));
                return;
            }

            // The model allow-list of the provider's integration, before anything is reserved; a restricted list of
            // models is answered here, without asking the upstream.
            if (Catalog.ModelAccess.Refusal(target, operation, target.BareModel ?? model, deployment) is
                { } notProvisioned)
            {
                await RefuseAsync(context, log, notProvisioned);
                return;
            }

            if (operation == "models" && Catalog.ModelAccess.RestrictedList(target.VirtualKey, caller.AllowedModels) is { } modelList)
            {
                response.ContentType = "application/json";
                await response.Body.WriteAsync(modelList, aborted);
                log.Outcome = "success";
                return;
            }

            // 5. Admit: budgets reserve the worst case and rate limits take their share, then the pending usage record
            //    goes to disk before anything goes upstream.
            //    An Azure key is priced by the deployment that will answer, never by the alias the client typed; the
            //    deployment chosen here is the one the request goes to.
            string? pricedModel = deployment is null ? target.BareModel ?? model : deployment.ModelName ?? deployment.Alias;

            Admission admission = await gate.AdmitAsync(caller, target, operation, pricedModel, body.Memory, aborted);
            if (admission.Refusal is { } limited)
            {
                WriteLimitHeaders(response, admission);
                await RefuseAsync(context, log, limited);
                return;
            }

            try
            {
                if (admission.Reservation.Claims.Count > 0 || options.UsageDurability == UsageDurability.Always)
                {
                    await ledger.WritePendingAsync(log.ToPendingRecord(), admission.Reservation, aborted);
                }
            }
            catch (Exception e) when (!aborted.IsCancellationRequested)
            {
                GatewayLog.PendingWriteFailed(logger, e, log.TraceId);
                await ReleaseAsync(admission);
                response.Headers.RetryAfter = "1";
                await RefuseAsync(context, log, new GatewayError(503, "service_unavailable", "usage_store_unavailable",
                    "Portcullis cannot record usage right now, so it does not send requests upstream. Try again shortly."));
                return;
            }
            catch (OperationCanceledException)
            {
                // The client left while the record was being written: the record may be on disk, so it is completed.
                admitted = admission;
                throw;
            }

            admitted = admission;
            capture = new OutputCapture();
            if (admission.Reservation.Claims.Count > 0)
            {
                // A long stream notes its progress about once a second: a crash then charges what was streamed.
                capture.CheckpointModel = log.Model;
                capture.Checkpoint = completion =>
                {
                    int prompt = admission.PromptTokens ?? 0;
                    var soFar = new TokenUsage(prompt, completion, prompt + completion);
                    long cost = admission.Price is { } price ? CostCalculator.Compute(soFar, price) : 0;
                    ledger.Checkpoint(log.Id, admission.Reservation, cost, (long)prompt + completion);
                };
            }

            // 6. Unseal the provider secret and build the upstream request.
            using HttpRequestMessage? upstreamRequest = BuildUpstreamRequest(
                request, operation, dialects, target, deployment, body, facts, log, hops, out SecretRedactor redactor,
                out GatewayError? refusal);
            if (upstreamRequest is null)
            {
                await RefuseAsync(context, log, refusal ?? GatewayError.BadGateway("The stored provider key could not be opened."));
                return;
            }

            // 7. Forward and relay.
            await ForwardAsync(context, operation, upstreamRequest, dialects, facts, target, log, redactor, admission, capture);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            log.Outcome = "client_cancelled";
            log.Status = 499;
        }
        catch (BadHttpRequestException e)
        {
            log.Outcome = "bad_request";
            await RefuseAsync(context, log, e.StatusCode == 413
                ? GatewayError.TooLarge(options.MaxRequestBodyBytes)
                : GatewayError.BadRequest("The request could not be read."));
        }
        catch (IOException) when (aborted.IsCancellationRequested)
        {
            log.Outcome = "client_cancelled";
            log.Status = 499;
        }
        catch (Exception)
        {
            // Our own bug: the guard answers 500, and the record must say so too.
            log.Outcome = "gateway_error";
            log.Status = 500;
            throw;
        }
        finally
        {
            // 8. Settle: the record is written behind the request.
            log.LatencyMs = time.GetElapsedTime(startTimestamp).TotalMilliseconds;
            if (log.Status == 0)
            {
                log.Status = response.StatusCode;
            }

            if (admitted is null)
            {
                ledger.Record(log.ToRecord());
            }
            else
            {
                await SettleAsync(log, admitted, operation, log.Model, body, capture);
            }

            capture?.Dispose();
            body.Dispose();
        }
    }

    // 8. Settle: the real usage (or, when the upstream reported none, what Portcullis counted itself) is priced, the
    //    budgets move from the reservation to it, the rate limits to the real tokens, and the record completes.
    private async Task SettleAsync(
        RequestLogDraft log, Admission admission, string operation, string? model, RequestBody body, OutputCapture? capture)
    {
        // The upstream worked on it when it answered with a success status (even if the answer was cut afterwards), or
        // when the client left while it worked: such requests are never recorded as free.
        bool produced = AdmissionGate.IsMetered(operation) &&
            (log.UpstreamAnswered || (log.UpstreamCalled && log.Outcome == "client_cancelled"));
        if (produced)
        {
            int? counted = admission.PromptTokens;
            log.Usage = UsageEstimate.Complete(
                log.Usage,
                answerFinished: log.Outcome == "success",
                () => counted ?? (body.Length == 0 ? 0 : PromptTokenCounter.Count(operation, model, body.Span)),
                () => capture?.EstimateCompletionTokens(model) ?? 0);
        }

        TokenUsage usage = log.Usage;

        // A priced request that produced nothing (refused upstream, failed, never answered) costs exactly nothing.
        long? cost = admission.Price is not { } price ? null : usage.IsKnown ? CostCalculator.Compute(usage, price) : 0;
        log.CostPico = cost;
        long tokens = usage.TotalTokens ?? 0;
        if (admission.Lease is { } lease)
        {
            await rates.SettleAsync(lease, tokens, CancellationToken.None);
        }

        ledger.Complete(log.ToRecord(), admission.Reservation, cost ?? 0, tokens);
    }

    private async Task ReleaseAsync(Admission admission)
    {
        await ledger.ReleaseAsync(admission.Reservation);
        if (admission.Lease is { } lease)
        {
            await rates.SettleAsync(lease, 0, CancellationToken.None);
        }
    }

    // The rate-limit headers (OpenAI's names) on every answer a rate limit applies to, and Retry-After on a refusal.
    private static void WriteLimitHeaders(HttpResponse response, Admission admission)
    {
        if (admission.Rates is { } snapshot)
        {
            RateLimitHeaders.Apply(response.Headers, snapshot);
        }

        if (admission.RetryAfter is { } wait)
        {
            RateLimitHeaders.ApplyRetryAfter(response.Headers, wait);
        }
    }

    private HttpRequestMessage? BuildUpstreamRequest(
        HttpRequest request, string operation, Dialects dialects, Target target, AzureDeployment? deployment, RequestBody body,
        RequestBodyFacts facts, RequestLogDraft log, int hops, out SecretRedactor redactor, out GatewayError? refusal)
    {
        refusal = null;
        string? providerKey = target.PassthroughKey;
        redactor = default;
        Dictionary<string, string>? customHeaders = null;
        if (target.VirtualKey is { } key)
        {
            if (key.ProviderKey is not null)
            {
                SecretValue? secret = vault.TryUnseal(key.ProviderKey);
                if (secret is null)
                {
                    GatewayLog.SecretUnreadable(logger, key.ProviderKey.Id);
                    return null;
                }

                providerKey = secret.Reveal();
            }

            if (key.CustomHeaders is not null)
            {
                SecretValue? headers = vault.TryUnseal(key.CustomHeaders);
                if (headers is null)
                {
                    GatewayLog.SecretUnreadable(logger, key.CustomHeaders.Id);
                    return null;
                }

                customHeaders = JsonSerializer.Deserialize<Dictionary<string, string>>(headers.Reveal());
            }
        }

        redactor = SecretRedactor.For(providerKey, customHeaders);

        // Azure OpenAI: the alias in model picks a deployment; the deployment's API version always wins over the
        // client's, and the key goes in api-key (or the front door's header), never in Authorization.
        AzureConfig? azure = target.VirtualKey?.Azure;
        if (azure is not null)
        {
            string? alias = target.BareModel ?? facts.Model;
            if (deployment is null)
            {
                refusal = GatewayError.BadRequest(operation == "models"
                    ? "GET /v1/models is not available for azure-openai keys."
                    : $"No azure alias passed/default config found: model '{Truncate(alias, 100)}' matches no deployment and " +
                      $"none is the default. Known aliases: {string.Join(", ", azure.Deployments.Select(d => d.Alias))}.",
                    "unknown_azure_alias");
                return null;
            }

            log.Deployment = deployment.DeploymentName;
        }

        // Anthropic's format sent to an OpenAI-format key is translated to a chat completion (case B22).
        bool anthropic = dialects.UpstreamAnthropic;
        if (dialects.MessagesApiToChat)
        {
            operation = "chat/completions";
        }

        string baseUrl = target.BaseUrl!.OriginalString.TrimEnd('/');
        string url = anthropic
            ? baseUrl + "/messages"
            : deployment is null
            ? string.Concat(baseUrl, "/", operation, request.QueryString.Value)
            : $"{baseUrl}/openai/deployments/{Uri.EscapeDataString(deployment.DeploymentName)}/{operation}" +
              $"?api-version={Uri.EscapeDataString(deployment.ApiVersion)}";
        var message = new HttpRequestMessage(HttpMethods.IsPost(request.Method) ? HttpMethod.Post : HttpMethod.Get, url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
        };

        if (HttpMethods.IsPost(request.Method))
        {
            bool askForUsage = facts.Stream && operation is "chat/completions" or "completions";
            log.ClientAskedUsage = facts.IncludeUsage;
            HttpContent content;
            if (dialects.MessagesApiToChat)
            {
                byte[]? translated = MessagesToChatRequestTranslator.Translate(
                    body.Span, target.BareModel ?? facts.Model ?? "", out _, out string? problem);
                if (translated is null)
                {
                    refusal = GatewayError.BadRequest(problem ?? "The request cannot be translated to a chat completion.", "invalid_body");
                    return null;
                }

                content = new ByteArrayContent(translated);
            }
            else if (dialects.ChatToMessagesApi)
            {
                byte[]? translated = AnthropicRequestTranslator.FromChatCompletion(
                    body.Span, target.BareModel ?? facts.Model ?? "", AnthropicApi.DefaultMaxTokens, out string? problem);
                if (translated is null)
                {
                    refusal = GatewayError.BadRequest(problem ?? "The request cannot be translated for Anthropic.", "invalid_body");
                    return null;
                }

                content = new ByteArrayContent(translated);
            }
            else
            {
                content = UpstreamBodyBuilder.Build(body.Memory, facts, target.BareModel, askForUsage && !anthropic);
            }

            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Content = content;
        }

        foreach (string name in ForwardedRequestHeaders)
        {
            if (request.Headers.TryGetValue(name, out StringValues value))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value);
            }
        }

        if (!string.IsNullOrEmpty(providerKey))
        {
            if (azure is not null)
            {
                message.Headers.TryAddWithoutValidation(azure.KeyHeader, providerKey);
            }
            else if (anthropic)
            {
                message.Headers.TryAddWithoutValidation("x-api-key", providerKey);
            }
            else
            {
                message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + providerKey);
            }
        }

        if (anthropic)
        {
            string? version = request.Headers["anthropic-version"];
            message.Headers.TryAddWithoutValidation(
                "anthropic-version", string.IsNullOrWhiteSpace(version) ? AnthropicApi.Version : version);
            if (request.Headers.TryGetValue("anthropic-beta", out StringValues beta))
            {
                message.Headers.TryAddWithoutValidation("anthropic-beta", (IEnumerable<string>)beta);
            }
        }

        message.Headers.TryAddWithoutValidation(HopsHeader, (hops + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Custom headers come last so they can replace the default authorization header.
        if (customHeaders is not null)
        {
            foreach ((string name, string value) in customHeaders)
            {
                message.Headers.Remove(name);
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    private async Task ForwardAsync(
        HttpContext context, string operation, HttpRequestMessage upstreamRequest, Dialects dialects, RequestBodyFacts facts,
        Target target, RequestLogDraft log, SecretRedactor redactor, Admission admission, OutputCapture capture)
    {
        HttpResponse response = context.Response;
        CancellationToken aborted = context.RequestAborted;
        using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        headersTimeout.CancelAfter(options.UpstreamResponseTimeout);

        // 7a. Send and wait for the upstream's headers, within the response timeout.
        HttpResponseMessage upstreamResponse;
        try
        {
            log.UpstreamCalled = true;
            upstreamResponse = await upstream.SendAsync(upstreamRequest, headersTimeout.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            GatewayLog.UpstreamFailed(logger, target.Provider, log.TraceId, "no response headers in time");
            log.Outcome = "timeout";
            await RefuseAsync(context, log, GatewayError.Timeout(
                $"The upstream {target.Provider} did not answer within {options.UpstreamResponseTimeout.TotalSeconds:0} s."));
            return;
        }
        catch (HttpRequestException e) when (!aborted.IsCancellationRequested)
        {
            bool blocked = e.InnerException is BlockedAddressException;
            GatewayLog.UpstreamFailed(logger, target.Provider, log.TraceId, blocked ? "blocked address" : e.HttpRequestError.ToString());
            log.Outcome = "upstream_unreachable";
            await RefuseAsync(context, log, GatewayError.BadGateway(blocked
                ? "The upstream host resolves to an address Portcullis does not connect to."
                : $"The upstream {target.Provider} could not be reached."));
            return;
        }

        // Everything the upstream says goes through a body that masks the credentials this request sent it.
        if (redactor.Secrets.Count > 0)
        {
            response.Body = new RedactingStream(response.Body, redactor.Secrets);
        }

        using (upstreamResponse)
        {
            int status = (int)upstreamResponse.StatusCode;
            response.StatusCode = status;
            log.Status = status;
            CopyResponseHeaders(upstreamResponse, response, redactor);
            log.UpstreamAnswered = status < 300;

            // The gateway's rate-limit headers go on answers it passes; an upstream's own refusal keeps its headers.
            if (status < 400)
            {
                WriteLimitHeaders(response, admission);
            }
            await using Stream upstreamBody = await upstreamResponse.Content.ReadAsStreamAsync(aborted);

            // 7b. An upstream error keeps its status and says which provider sent it.
            // Redirects are never followed, nor handed to the client: where an upstream points is not the client's to see.
            if (status is >= 300 and < 400)
            {
                ResetForGatewayError(response, target.Provider);
                log.Outcome = "upstream_redirect";
                GatewayLog.UpstreamFailed(logger, target.Provider, log.TraceId, "redirect refused");
                await RefuseAsync(context, log, GatewayError.BadGateway(
                    $"The upstream {target.Provider} answered with a redirect ({status}); Portcullis does not follow redirects."));
                return;
            }

            if (status >= 400 && dialects.ClientAnthropic)
            {
                log.Outcome = "upstream_error";
                await WriteMessagesErrorAsync(context, upstreamBody, status, redactor, translate: dialects.MessagesApiToChat);
                return;
            }

            if (status >= 400)
            {
                log.Outcome = "upstream_error";
                await WriteUpstreamErrorAsync(context, upstreamBody, target.Provider, redactor, log);
                return;
            }

            // 7c. A stream is relayed event by event; anything else is read whole, its usage noted, and passed on.
            bool isStream = upstreamResponse.Content.Headers.ContentType?.MediaType == "text/event-stream";
            if (isStream)
            {
                log.Stream = true;
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                response.Headers.CacheControl = "no-cache";
                await response.StartAsync(aborted);
                RelayOutcome outcome;
                bool upstreamSentError = false;
                if (dialects.MessagesApiToChat)
                {
                    var translator = new MessagesToChatStreamTranslator(log.Model ?? "");
                    outcome = await new TranslatingSseRelay { Capture = capture }.RelayAsync(
                        upstreamBody, response, translator, options.StreamIdleTimeout, aborted);
                    log.Usage = translator.Usage;
                    upstreamSentError = translator.SawError;
                }
                else if (dialects.ChatToMessagesApi)
                {
                    var translator = new AnthropicStreamTranslator(log.Model ?? "", log.ClientAskedUsage);
                    outcome = await new TranslatingSseRelay { Capture = capture }.RelayAsync(
                        upstreamBody, response, translator, options.StreamIdleTimeout, aborted);
                    log.Usage = translator.Usage;
                    upstreamSentError = translator.SawError;
                }
                else
                {
                    var relay = new SseRelay(
                        forwardUsageOnlyChunks: log.ClientAskedUsage || !facts.Stream, anthropicEvents: dialects.UpstreamAnthropic)
                    {
                        Capture = capture,
                    };
                    outcome = await relay.RelayAsync(upstreamBody, response, options.StreamIdleTimeout, aborted);
                    log.Usage = relay.Usage;
                    log.UpstreamModel = relay.UpstreamModel;
                    upstreamSentError = relay.SawUpstreamError;
                }

                log.Outcome = outcome switch
                {
                    _ when upstreamSentError && outcome != RelayOutcome.ClientCancelled => "upstream_error",
                    RelayOutcome.Completed => "success",
                    RelayOutcome.ClientCancelled => "client_cancelled",
                    RelayOutcome.IdleTimeout => "stream_idle_timeout",
                    RelayOutcome.UpstreamCut => "upstream_cut",
                    _ => "stream_too_large",
                };
                bool abnormal = outcome is RelayOutcome.IdleTimeout or RelayOutcome.UpstreamCut or RelayOutcome.TooLarge;
                if (abnormal && !upstreamSentError)
                {
                    GatewayLog.UpstreamFailed(logger, target.Provider, log.TraceId, log.Outcome);
                    GatewayError error = outcome == RelayOutcome.IdleTimeout
                        ? GatewayError.Timeout($"The upstream stream was silent for {options.StreamIdleTimeout.TotalSeconds:0} s.")
                        : GatewayError.BadGateway("The upstream stream ended abnormally.");
                    await response.Body.WriteAsync(
                        dialects.ClientAnthropic ? AnthropicApi.ErrorEvent(error) : SseRelay.ErrorEvent(error), aborted);
                    await response.Body.FlushAsync(aborted);
                }

                if (outcome == RelayOutcome.ClientCancelled)
                {
                    log.Status = 499;
                }

                return;
            }

            // A model listing through an integration drops the models it does not allow (those listed as disabled).
            bool metered = AdmissionGate.IsMetered(operation);
            Catalog.IntegrationDetails? listFilter = metered ? null : target.VirtualKey?.Integration;
            await RelayWholeAsync(
                response, upstreamBody, upstreamResponse.Content.Headers.ContentLength, log, dialects.Answer, admission,
                metered, listFilter, aborted);
        }
    }

    private async Task RelayWholeAsync(
        HttpResponse response, Stream upstreamBody, long? declaredLength, RequestLogDraft log, AnswerTranslation translation,
        Admission admission, bool metered, Catalog.IntegrationDetails? listFilter, CancellationToken aborted)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        long limit = options.MaxResponseBodyBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(declaredLength ?? 8192, 1024, Math.Min(limit, 64 * 1024 * 1024)) + 1);
        int length = 0;
        try
        {
            while (true)
            {
                if (length > limit)
                {
                    GatewayLog.UpstreamFailed(logger, log.Provider ?? "", log.TraceId, "answer over the size limit");
                    ResetForGatewayError(response, log.Provider ?? "");
                    log.Outcome = "upstream_too_large";
                    await RefuseAsync(response.HttpContext, log, GatewayError.BadGateway(
                        $"The upstream's answer is larger than the limit of {limit} bytes."));
                    return;
                }

                if (length == buffer.Length)
                {
                    long next = Math.Min((long)buffer.Length * 2, Math.Min(limit + 1, Array.MaxLength));
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)next);
                    Buffer.BlockCopy(buffer, 0, larger, 0, length);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                idle.CancelAfter(options.StreamIdleTimeout);
                int read;
                try
                {
                    read = await upstreamBody.ReadAsync(buffer.AsMemory(length), idle.Token);
                }
                catch (Exception e) when (
                    !aborted.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
                {
                    log.Outcome = e is OperationCanceledException ? "timeout" : "upstream_cut";
                    ResetForGatewayError(response, log.Provider ?? "");
                    await RefuseAsync(response.HttpContext, log, e is OperationCanceledException
                        ? GatewayError.Timeout("The upstream stopped sending its answer.")
                        : GatewayError.BadGateway("The upstream closed the connection before its answer was complete."));
                    return;
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            ReadOnlyMemory<byte> payload = buffer.AsMemory(0, length);
            log.UpstreamModel = ModelReader.TryRead(payload.Span);
            if (translation == AnswerTranslation.AnthropicToChat)
            {
                payload = AnthropicResponseTranslator.ToChatCompletion(payload.Span, out TokenUsage translatedUsage);
                log.Usage = translatedUsage;
                response.ContentType = "application/json";
            }
            else if (translation == AnswerTranslation.ChatToMessages)
            {
                payload = MessagesToChatResponseTranslator.Translate(payload.Span, log.Model ?? "", out TokenUsage translatedUsage);
                log.Usage = translatedUsage;
                response.ContentType = "application/json";
            }
            else if (listFilter is not null)
            {
                payload = Catalog.ModelAccess.WithoutDisallowed(payload, listFilter);
            }
            else if (UsageReader.TryRead(payload.Span, out TokenUsage usage, out _))
            {
                log.Usage = usage;
            }

            // An answer without usage is counted now, while it is at hand. It is whole, so its tokens are known before
            // the headers go: the token rate limits settle now and the headers say what is really left.
            //    A model listing produces no tokens: nothing is counted for it.
            if (metered && log.Usage.CompletionTokens is null && log.Path == "/v1/embeddings")
            {
                // Embeddings produce vectors, not tokens: OpenAI's usage has no completion count to miss.
                log.Usage = log.Usage with { CompletionTokens = 0 };
            }
            else if (metered && log.Usage.CompletionTokens is null)
            {
                int completion = OutputCapture.EstimateCompletionTokens(log.Model, payload.Span);
                log.Usage = log.Usage with { CompletionTokens = completion, Estimated = true };
            }

            if (admission.Lease is { } lease && log.Usage.TotalTokens is { } total)
            {
                admission.Rates = await rates.SettleAsync(lease, total, aborted);
                RateLimitHeaders.Apply(response.Headers, admission.Rates);
            }

            log.Outcome = "success";
            response.ContentLength = payload.Length;
            await response.Body.WriteAsync(payload, aborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task WriteUpstreamErrorAsync(
        HttpContext context, Stream upstreamBody, string provider, SecretRedactor redactor, RequestLogDraft log)
    {
        HttpResponse response = context.Response;
        CancellationToken aborted = context.RequestAborted;

        // 1. Read the error body, at most 64 KiB and within the idle timeout: an upstream may stall after its status.
        string text;
        using (var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted))
        {
            idle.CancelAfter(options.StreamIdleTimeout);
            try
            {
                using var reader = new StreamReader(upstreamBody);
                char[] chunk = new char[64 * 1024];
                int read = await reader.ReadBlockAsync(chunk.AsMemory(), idle.Token);
                text = new string(chunk, 0, read);
            }
            catch (Exception e) when (
                !aborted.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
            {
                ResetForGatewayError(response, provider);
                log.Outcome = "timeout";
                await RefuseAsync(context, log, GatewayError.Timeout(
                    $"The upstream {provider} sent an error status but no complete body."));
                return;
            }
        }

        // 2. Keep OpenAI's error fields when the body has them; only decoded strings are kept, and every one is redacted.
        string message;
        string? type = null, param = null, code = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement error = document.RootElement.TryGetProperty("error", out JsonElement e) ? e : document.RootElement;
            message = StringOf(error, "message") ?? (error.ValueKind == JsonValueKind.String ? error.GetString()! : "no message");
            type = StringOf(error, "type");
            param = StringOf(error, "param");
            code = StringOf(error, "code");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            message = $"Invalid response received from {provider}";
        }

        response.ContentType = "application/json";
        response.Headers.ContentLength = null;
        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        // For Azure, say which alias and deployment answered: a 404 DeploymentNotFound is about the key's set-up.
        string origin = log.Deployment is null ? provider : $"{provider} (model '{log.Model}', deployment '{log.Deployment}')";
        writer.WriteString("message", redactor.Redact($"{origin} error: {message}"));
        WriteNullable(writer, "type", type, redactor);
        WriteNullable(writer, "param", param, redactor);
        WriteNullable(writer, "code", code, redactor);
        writer.WriteEndObject();
        writer.WriteString("provider", provider);
        writer.WriteEndObject();
        await writer.FlushAsync(aborted);

        static string? StringOf(JsonElement element, string name)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out JsonElement value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            };
        }

        static void WriteNullable(Utf8JsonWriter writer, string name, string? value, SecretRedactor redactor)
        {
            if (value is null)
            {
                writer.WriteNull(name);
            }
            else
            {
                writer.WriteString(name, redactor.Redact(value));
            }
        }
    }

    // An upstream's error for a client that speaks Anthropic's format: Anthropic's own is kept (redacted), an
    // OpenAI-format one is translated.
    private async Task WriteMessagesErrorAsync(
        HttpContext context, Stream upstreamBody, int status, SecretRedactor redactor, bool translate)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        idle.CancelAfter(options.StreamIdleTimeout);
        using var copy = new MemoryStream();
        try
        {
            byte[] chunk = new byte[16 * 1024];
            int read;
            while (copy.Length < 64 * 1024 && (read = await upstreamBody.ReadAsync(chunk, idle.Token)) > 0)
            {
                copy.Write(chunk, 0, read);
            }
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // Whatever arrived is translated; the status still says what happened.
        }

        byte[] raw = copy.ToArray();
        bool anthropicShape = !translate && raw.AsSpan().IndexOf("\"type\":\"error\""u8) >= 0;
        byte[] translated = anthropicShape ? raw : MessagesToChatResponseTranslator.TranslateError(raw, status);
        string text = redactor.Redact(System.Text.Encoding.UTF8.GetString(translated));
        context.Response.ContentType = "application/json";
        context.Response.Headers.ContentLength = null;
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    // Drops what was copied from the upstream before the gateway answers with its own error instead.
    private static void ResetForGatewayError(HttpResponse response, string provider)
    {
        string trace = response.Headers[GatewayResponses.TraceIdHeader].ToString();
        response.Headers.Clear();
        response.Headers[GatewayResponses.TraceIdHeader] = trace;
        response.Headers[GatewayResponses.ProviderHeader] = provider;
    }

    private static void CopyResponseHeaders(HttpResponseMessage upstreamResponse, HttpResponse response, SecretRedactor redactor)
    {
        foreach (KeyValuePair<string, IEnumerable<string>> header in upstreamResponse.Headers)
        {
            // The gateway's own headers (trace id, provider, ...) are never taken from an upstream.
            if (!ResponseHeadersNotCopied.Contains(header.Key) &&
                !header.Key.StartsWith("x-portkey-", StringComparison.OrdinalIgnoreCase) &&
                !header.Key.StartsWith("x-portcullis-", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers[header.Key] = Redacted(header.Value, redactor);
            }
        }

        foreach (KeyValuePair<string, IEnumerable<string>> header in upstreamResponse.Content.Headers)
        {
            if (!ResponseHeadersNotCopied.Contains(header.Key))
            {
                response.Headers[header.Key] = Redacted(header.Value, redactor);
            }
        }
    }

    private static StringValues Redacted(IEnumerable<string> values, SecretRedactor redactor)
    {
        var result = new List<string>(1);
        foreach (string value in values)
        {
            result.Add(redactor.Redact(value));
        }

        return new StringValues(result.ToArray());
    }

    // The gateway key comes from x-portkey-api-key, else from Authorization. When both are present and differ, the
    // Authorization value is the caller's own provider key (pass-through); when equal, nothing of it goes upstream.
    private static (string? GatewayKey, string? ProviderCredential) ReadCredentials(HttpRequest request)
    {
        string? portkeyHeader = request.Headers["x-portkey-api-key"];
        string? bearer = BearerOf(request.Headers.Authorization);

        // Anthropic's SDKs send their key in x-api-key: there it is the gateway key.
        if (string.IsNullOrWhiteSpace(portkeyHeader) && bearer is null && request.Headers["x-api-key"] is { Count: > 0 } apiKey)
        {
            bearer = apiKey.ToString().Trim();
        }
        if (!string.IsNullOrWhiteSpace(portkeyHeader))
        {
            string key = portkeyHeader.Trim();
            return (key, bearer is null || string.Equals(bearer, key, StringComparison.Ordinal) ? null : bearer);
        }

        return (bearer, null);
    }

    private static string? BearerOf(StringValues authorization)
    {
        string? value = authorization;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
    }

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];

    private async Task RefuseAsync(HttpContext context, RequestLogDraft log, GatewayError error)
    {
        GatewayLog.RequestRefused(logger, log.TraceId, error.Status, error.Type);
        log.Status = error.Status;
        log.Outcome = log.Outcome == "pending" ? "refused" : log.Outcome;
        await GatewayResponses.WriteErrorAsync(context, error);
    }
}
