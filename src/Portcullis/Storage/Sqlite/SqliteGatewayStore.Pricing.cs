using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string ModelPriceColumns =
        "scope, model, input_per_token, cached_input_per_token, output_per_token, max_output_tokens, updated_at";

    public async Task<IReadOnlyList<ModelPriceRecord>> ListModelPricesAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, $"SELECT {ModelPriceColumns} FROM model_prices ORDER BY scope, model");
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<ModelPriceRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new ModelPriceRecord(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                ReadOptionalInt(reader, 5), ReadTime(reader, 6)));
        }

        return records;
    }

    public async Task<bool> UpsertModelPriceAsync(ModelPriceRecord record, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO model_prices ({ModelPriceColumns})
            SELECT $scope, $model, $input, $cached, $output, $max, $updated
            WHERE $scope = '' OR EXISTS (SELECT 1 FROM virtual_keys WHERE slug = $scope)
            ON CONFLICT (scope, model) DO UPDATE SET
                input_per_token = excluded.input_per_token,
                cached_input_per_token = excluded.cached_input_per_token,
                output_per_token = excluded.output_per_token,
                max_output_tokens = excluded.max_output_tokens,
                updated_at = excluded.updated_at
            """,
            ("$scope", record.Scope),
            ("$model", record.Model),
            ("$input", record.InputPerToken),
            ("$cached", record.CachedInputPerToken),
            ("$output", record.OutputPerToken),
            ("$max", record.MaxOutputTokens),
            ("$updated", Time(record.UpdatedAt)));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeleteModelPriceAsync(string scope, string model, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(
            connection, "DELETE FROM model_prices WHERE scope = $scope AND model = $model", ("$scope", scope), ("$model", model));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
