using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis api-keys rotate &lt;id&gt; [--transition 30m|1h|2d]</c>: a new secret for the key, printed once; the
/// old secret keeps working for the transition (the gateway's default, one hour, when none is given).
/// </summary>
internal static class ApiKeyRotateCommand
{
    public static Command Create(Option<bool> json)
    {
        var id = new Argument<string>("id") { Description = "The API key's id." };
        var transition = new Option<string?>("--transition")
        {
            Description = "How long the old secret keeps working: a number with s, m, h or d (30m to 30d), or 0 to end " +
                "it at once (a leaked key); default 1h.",
        };
        var command = new Command("rotate", "Give an API key a new secret; the new key is shown once.") { id, transition };
        command.SetAction((r, ct) =>
        {
            JsonObject body = [];
            if (r.GetValue(transition) is { } text)
            {
                if ((text.Trim() is "0" ? TimeSpan.Zero : ParseDuration(text)) is not { } period)
                {
                    Console.Error.WriteLine($"portcullis: --transition '{text}' is not a duration such as 30m, 1h or 2d.");
                    return Task.FromResult(AdminClient.ExitUsage);
                }

                body["key_transition_period_ms"] = (long)period.TotalMilliseconds;
            }

            return PortcullisCli.WithClient(client => client.SendAsync(HttpMethod.Post,
                $"/v1/api-keys/{Uri.EscapeDataString(r.GetValue(id)!)}/rotate", body, r.GetValue(json),
                n => $"id:  {n["id"]}\nkey: {n["key"]}\n(the key is shown only this once; " + (n["key_transition_expires_at"] is { } until
                    ? $"the old one works until {until})"
                    : "the old one no longer works)"), ct));
        });
        return command;
    }

    /// <summary>A positive whole number followed by s, m, h or d; null for anything else.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture,
                out long amount) || amount <= 0 || amount > 1_000_000)
        {
            return null;
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
    }
}
