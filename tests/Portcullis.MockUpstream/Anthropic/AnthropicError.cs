namespace Portcullis.MockUpstream.Anthropic;

/// <summary>
/// An Anthropic error answer: the HTTP status and the two fields of <c>{"type":"error","error":{...}}</c>.
/// </summary>
internal readonly record struct AnthropicError(int Status, string Type, string Message)
{
    private const string InvalidRequest = "invalid_request_error";

    // NOTE: Anthropic says "x-api-key header is required" for a missing key; the mock answers both cases alike,
    // as the gateway's tests expect one message.
    public static AnthropicError InvalidKey() => new(401, "authentication_error", "invalid x-api-key");

    public static AnthropicError MissingVersion() => new(400, InvalidRequest, "anthropic-version: header is required");

    public static AnthropicError NotFound() => new(404, "not_found_error", "Not Found");

    public static AnthropicError Invalid(string message) => new(400, InvalidRequest, message);

    public static AnthropicError FieldRequired(string path) => Invalid($"{path}: Field required");

    public static AnthropicError WrongType(string path, string expected) =>
        Invalid($"{path}: Input should be a valid {expected}");

    public static AnthropicError ExtraField(string path) => Invalid($"{path}: Extra inputs are not permitted");

    public static AnthropicError UnknownTag(string path, string tag, string expected) => Invalid(
        $"{path}: Input tag '{tag}' found using 'type' does not match any of the expected tags: {expected}");
}
