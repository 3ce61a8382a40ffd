using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Portcullis.Hosting;
using Portcullis.Vault;

namespace Portcullis.Cli;

/// <summary><c>portcullis serve</c>: runs the gateway until SIGTERM or Ctrl-C, then drains requests in flight.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = "Where to listen (default http://127.0.0.1:8787; env PORTCULLIS_URLS)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default ./data; env PORTCULLIS_DATA_DIR)." };
        var command = new Command("serve", "Run the gateway.") { urls, dataDir };
        command.SetAction(async (result, cancellationToken) =>
        {
            GatewayOptions options;
            try
            {
                options = ReadOptions(result.GetValue(urls), result.GetValue(dataDir));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or System.IO.InvalidDataException)
            {
                Console.Error.WriteLine($"portcullis: cannot start: invalid configuration: {e.Message}");
                return 2;
            }

            try
            {
                await using GatewayInstance gateway = await GatewayHost.BuildAsync(options, cancellationToken: cancellationToken);
                if (gateway.GeneratedAdminKey is { } key)
                {
                    Console.Out.WriteLine();
                    Console.Out.WriteLine("  First start: an admin key was generated. It is shown only this once:");
                    Console.Out.WriteLine();
                    Console.Out.WriteLine($"    {key}");
                    Console.Out.WriteLine();
                    Console.Out.WriteLine("  Use it as PORTCULLIS_ADMIN_KEY for the CLI, or in x-portkey-api-key for the admin API.");
                    Console.Out.WriteLine();
                }

                await gateway.App.RunAsync();
                return 0;
            }
            catch (Exception e) when (e is VaultConfigurationException or GatewayConfigurationException)
            {
                Console.Error.WriteLine($"portcullis: cannot start: {e.Message}");
                return 2;
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"portcullis: cannot start: {e.Message}");
                return 2;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                Console.Error.WriteLine($"portcullis: cannot start: the database in {options.DataDirectory} cannot be used: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>Options from the <c>Portcullis</c> configuration section, then PORTCULLIS_* variables, then flags.</summary>
    public static GatewayOptions ReadOptions(string? urls, string? dataDir)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("portcullis.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = new GatewayOptions();
        configuration.GetSection("Portcullis").Bind(options);
        options.Urls = urls ?? Environment.GetEnvironmentVariable("PORTCULLIS_URLS") ?? options.Urls;
        options.DataDirectory = dataDir ?? Environment.GetEnvironmentVariable("PORTCULLIS_DATA_DIR") ?? options.DataDirectory;
        options.MasterKey = Environment.GetEnvironmentVariable(EnvironmentMasterKeySource.VariableName) ?? options.MasterKey;
        options.AdminKey = Environment.GetEnvironmentVariable("PORTCULLIS_ADMIN_KEY") ?? options.AdminKey;
        options.BudgetWebhookUrl = Environment.GetEnvironmentVariable("PORTCULLIS_BUDGET_WEBHOOK_URL") ?? options.BudgetWebhookUrl;
        return options;
    }
}
