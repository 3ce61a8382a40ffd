using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Portcullis.MockUpstream;

/// <summary>One request as the mock received it, recorded before anything was answered.</summary>
/// <param name="Method">HTTP method, e.g. <c>POST</c>.</param>
/// <param name="PathAndQuery">The request target exactly as sent, query string included.</param>
/// <param name="Headers">Request headers; keys compare case-insensitively, repeated values are joined by ", ".</param>
/// <param name="Body">Every body byte that arrived (fewer than sent if the client went away during the upload).</param>
/// <param name="BodySha256Hex">Lower-case hex SHA-256 of <paramref name="Body"/>.</param>
/// <param name="ReceivedAt">When the request line and headers arrived.</param>
public sealed record RecordedRequest(
    string Method,
    string PathAndQuery,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    string BodySha256Hex,
    DateTimeOffset ReceivedAt)
{
    private readonly TaskCompletionSource<DateTimeOffset> _disconnected =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// True once the client (the gateway) dropped the connection while the mock was still reading the body or
    /// writing its answer. A connection the mock closed itself, or the server shutting down, does not count.
    /// </summary>
    public bool ClientDisconnected => _disconnected.Task.IsCompleted;

    /// <summary>When the mock noticed the disconnect; null while <see cref="ClientDisconnected"/> is false.</summary>
    public DateTimeOffset? DisconnectedAt =>
        _disconnected.Task.IsCompletedSuccessfully ? _disconnected.Task.Result : null;

    /// <summary>The body decoded as UTF-8.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>Waits for the client to disconnect; false if it has not within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForDisconnectAsync(TimeSpan timeout)
    {
        try
        {
            await _disconnected.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    internal void MarkDisconnected(DateTimeOffset at) => _disconnected.TrySetResult(at);

    // Keeps ToString (and so assertion messages) short and secret-free: no headers, no body text.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Method = {Method}, PathAndQuery = {PathAndQuery}, ");
        builder.Append(CultureInfo.InvariantCulture, $"Body = {Body.Length} bytes, BodySha256Hex = {BodySha256Hex}, ");
        builder.Append(CultureInfo.InvariantCulture, $"ReceivedAt = {ReceivedAt:O}, ");
        builder.Append(CultureInfo.InvariantCulture, $"ClientDisconnected = {ClientDisconnected}");
        return true;
    }

    internal static RecordedRequest From(HttpContext context, byte[] body, DateTimeOffset receivedAt)
    {
        HttpRequest request = context.Request;

        // The raw target keeps the query string and any escaping exactly as the gateway sent them.
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget
            ?? request.Path.ToUriComponent() + request.QueryString.ToUriComponent();

        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, StringValues> header in request.Headers)
        {
            headers[header.Key] = header.Value.Count == 1
                ? header.Value[0] ?? ""
                : string.Join(", ", header.Value.ToArray());
        }

        string sha = Convert.ToHexStringLower(SHA256.HashData(body));
        return new RecordedRequest(request.Method, target, headers, body, sha, receivedAt);
    }
}
