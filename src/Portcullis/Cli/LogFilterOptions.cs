using System.CommandLine;

namespace Portcullis.Cli;

/// <summary>
/// The request-log filter options that <c>portcullis logs</c> and <c>portcullis usage</c> share, turned into the
/// admin API's query parameters. The gateway validates the values, so a wrong date is refused with its message.
/// </summary>
internal sealed class LogFilterOptions
{
    private readonly Option<string?> _virtualKey = new("--virtual-key") { Description = "Only this virtual key (slug)." };
    private readonly Option<string?> _apiKey = new("--api-key") { Description = "Only requests sent with this API key (id)." };
    private readonly Option<string?> _model = new("--model") { Description = "Only this model." };
    private readonly Option<string?> _from = new("--from")
    {
        Description = "From this time on, inclusive (ISO 8601, UTC if no offset).",
    };

    private readonly Option<string?> _to = new("--to")
    {
        Description = "Before this time, exclusive (ISO 8601, UTC if no offset).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_virtualKey);
        command.Options.Add(_apiKey);
        command.Options.Add(_model);
        command.Options.Add(_from);
        command.Options.Add(_to);
    }

    /// <summary>The given options as <c>&amp;name=value</c> pairs, escaped, ready to append to a query string.</summary>
    public string Query(ParseResult result)
    {
        string query = "";
        foreach ((string name, Option<string?> option) in (ReadOnlySpan<(string, Option<string?>)>)
            [("virtual_key", _virtualKey), ("api_key_id", _apiKey), ("model", _model), ("from", _from), ("to", _to)])
        {
            if (result.GetValue(option) is { Length: > 0 } value)
            {
                query += $"&{name}={Uri.EscapeDataString(value)}";
            }
        }

        return query;
    }
}
