namespace Portcullis.Forwarding;

/// <summary>
/// A refusal or failure produced by the gateway itself, as a value. Written as OpenAI's error shape so every OpenAI
/// client can read it, with <c>x-portkey-gateway-exception: true</c> so Portkey's SDKs and fallbacks know its origin.
/// </summary>
internal readonly record struct GatewayError(int Status, string Type, string? Code, string Message)
{
    public static GatewayError Unauthenticated(string message) => new(401, "authentication_error", "invalid_api_key", message);

    public static GatewayError Forbidden(string message) => new(403, "permission_error", "forbidden", message);

    public static GatewayError BadRequest(string message, string? code = null) =>
        new(400, "invalid_request_error", code, message);

    public static GatewayError TooLarge(long limit) => new(
        413, "request_too_large", "request_too_large", $"The request body is larger than the limit of {limit} bytes.");

    public static GatewayError BadGateway(string message) => new(502, "upstream_error", "bad_gateway", message);

    public static GatewayError Timeout(string message) => new(504, "timeout", "upstream_timeout", message);
}
