namespace Portcullis.MockUpstream.OpenAI;

/// <summary>An OpenAI error answer: the HTTP status and the four fields of <c>{"error":{...}}</c>.</summary>
internal readonly record struct ApiError(int Status, string Message, string Type, string? Param, string? Code)
{
    private const string InvalidRequest = "invalid_request_error";

    public static ApiError UnparsableJson() => new(
        400,
        "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, but what was sent "
        + "was not valid JSON.",
        InvalidRequest,
        null,
        null);

    public static ApiError BodyNotObject() =>
        new(400, "Invalid body: expected a JSON object.", InvalidRequest, null, null);

    public static ApiError MissingModel() => new(400, "you must provide a model parameter", InvalidRequest, null, null);

    public static ApiError Missing(string param) =>
        new(400, $"Missing required parameter: '{param}'.", InvalidRequest, param, "missing_required_parameter");

    public static ApiError InvalidType(string param, string expected, string got) => new(
        400,
        $"Invalid type for '{param}': expected {expected}, but got {got} instead.",
        InvalidRequest,
        param,
        "invalid_type");

    public static ApiError EmptyArray(string param) => new(
        400,
        $"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        InvalidRequest,
        param,
        "empty_array");

    public static ApiError InvalidValue(string param, string value, string supported) => new(
        400, $"Invalid value: '{value}'. Supported values are: {supported}.", InvalidRequest, param, "invalid_value");

    public static ApiError BelowMinimum(string param, long minimum, long got) => new(
        400,
        $"Invalid '{param}': integer below minimum value. Expected a value >= {minimum}, but got {got} instead.",
        InvalidRequest,
        param,
        "integer_below_min_value");

    public static ApiError AboveMaximum(string param, long maximum, long got) => new(
        400,
        $"Invalid '{param}': integer above maximum value. Expected a value <= {maximum}, but got {got} instead.",
        InvalidRequest,
        param,
        "integer_above_max_value");

    public static ApiError StreamOptionsWithoutStream() => new(
        400,
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        InvalidRequest,
        "stream_options",
        null);

    public static ApiError InvalidInput(string param) => new(
        400,
        $"'$.{param}' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
        InvalidRequest,
        null,
        null);

    public static ApiError MissingKey() => new(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
        + "auth (i.e. Authorization: Bearer YOUR_KEY).",
        InvalidRequest,
        null,
        null);

    public static ApiError IncorrectKey(string maskedKey) => new(
        401,
        $"Incorrect API key provided: {maskedKey}. You can find your API key at "
        + "https://platform.openai.com/account/api-keys.",
        InvalidRequest,
        null,
        "invalid_api_key");

    public static ApiError UnknownUrl(string method, string path) =>
        new(404, $"Invalid URL ({method} {path})", InvalidRequest, null, null);

    public static ApiError UnknownModel(string model) =>
        new(404, $"The model '{model}' does not exist", InvalidRequest, "model", "model_not_found");
}
