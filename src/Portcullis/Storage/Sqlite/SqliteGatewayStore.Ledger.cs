using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portcullis.Budgets;
using Portcullis.Usage;

namespace Portcullis.Storage.Sqlite;

internal sealed partial class SqliteGatewayStore
{
    private const string BudgetColumns =
        "id, owner_kind, owner_id, type, current_usage, total_usage, anchor, period_start, next_reset_at, alert_sent, " +
        "exhausted_sent";

    public async Task WriteLedgerAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        SqliteConnection connection = await LogConnectionAsync(cancellationToken);
        try
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

            // 1. Log rows in order; what a pending row holds goes in with it and out when the row completes.
            Dictionary<string, BudgetSnapshot?>? budgets = null;
            foreach (LedgerEntry entry in entries)
            {
                if (entry.Log is { } log)
                {
                    await WriteLogRowAsync(log, transaction, cancellationToken);
                    if (entry.Reservation is { } held)
                    {
                        await ExecutePreparedAsync(_reservationInsert!, transaction, cancellationToken, log.Id, held);
                    }
                    else if (entry.Budgets is not null)
                    {
                        await ExecutePreparedAsync(_reservationDelete!, transaction, cancellationToken, log.Id);
                    }
                }

                if (entry.ProgressOf is { } progressOf)
                {
                    await ExecutePreparedAsync(_reservationProgress!, transaction, cancellationToken, progressOf, entry.Progress);
                }

                // Budget rows are whole states: only the last of each in the batch is written.
                foreach (BudgetSnapshot budget in entry.Budgets ?? [])
                {
                    (budgets ??= new(StringComparer.Ordinal))[budget.Id] = budget;
                }

                foreach (string id in entry.RemovedBudgets ?? [])
                {
                    (budgets ??= new(StringComparer.Ordinal))[id] = null;
                }
            }

            // 2. The last state of every budget the batch touched.
            foreach ((string id, BudgetSnapshot? budget) in budgets ?? [])
            {
                if (budget is null)
                {
                    await ExecutePreparedAsync(_budgetDelete!, transaction, cancellationToken, id);
                }
                else
                {
                    await ExecutePreparedAsync(_budgetUpsert!, transaction, cancellationToken,
                        budget.Id, budget.OwnerKind, budget.OwnerId, budget.Type, budget.CurrentUsage, budget.TotalUsage,
                        Time(budget.Anchor), Time(budget.PeriodStart), Time(budget.NextResetAt), budget.AlertSent ? 1 : 0,
                        budget.ExhaustedSent ? 1 : 0);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // A broken connection is rebuilt on the next batch.
            await ResetLogConnectionAsync();
            throw;
        }
    }

    // The writer's other statements, prepared once on its connection next to the log insert.
    private SqliteCommand? _reservationInsert;
    private SqliteCommand? _reservationDelete;
    private SqliteCommand? _reservationProgress;
    private SqliteCommand? _budgetUpsert;
    private SqliteCommand? _budgetDelete;

    private void PrepareLedgerStatements(SqliteConnection connection)
    {
        _reservationInsert = Prepare(connection,
            "INSERT OR REPLACE INTO usage_reservations (request_id, held) VALUES ($p0, $p1)", 2);
        _reservationDelete = Prepare(connection, "DELETE FROM usage_reservations WHERE request_id = $p0", 1);
        _reservationProgress = Prepare(connection, "UPDATE usage_reservations SET progress = $p1 WHERE request_id = $p0", 2);
        _budgetDelete = Prepare(connection, "DELETE FROM budgets WHERE id = $p0", 1);
        _budgetUpsert = Prepare(connection,
            $"""
            INSERT INTO budgets ({BudgetColumns})
            VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10)
            ON CONFLICT (id) DO UPDATE SET
                current_usage = excluded.current_usage, total_usage = excluded.total_usage, anchor = excluded.anchor,
                period_start = excluded.period_start, next_reset_at = excluded.next_reset_at,
                alert_sent = excluded.alert_sent, exhausted_sent = excluded.exhausted_sent
            """, 11);

        static SqliteCommand Prepare(SqliteConnection connection, string sql, int parameters)
        {
            SqliteCommand command = connection.CreateCommand();
            command.CommandText = sql;
            for (int i = 0; i < parameters; i++)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = "$p" + i });
            }

            command.Prepare();
            return command;
        }
    }

    private void DisposeLedgerStatements()
    {
        foreach (SqliteCommand? command in (ReadOnlySpan<SqliteCommand?>)[_reservationInsert, _reservationDelete, _budgetUpsert,
            _budgetDelete, _reservationProgress])
        {
            command?.Dispose();
        }

        _reservationInsert = _reservationDelete = _reservationProgress = _budgetUpsert = _budgetDelete = null;
    }

    private static async Task ExecutePreparedAsync(
        SqliteCommand command, SqliteTransaction transaction, CancellationToken cancellationToken, params object?[] values)
    {
        command.Transaction = transaction;
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BudgetSnapshot>> ListBudgetsAsync(CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using SqliteCommand command = Command(connection, $"SELECT {BudgetColumns} FROM budgets");
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var budgets = new List<BudgetSnapshot>();
        while (await reader.ReadAsync(cancellationToken))
        {
            budgets.Add(new BudgetSnapshot(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.GetInt64(5), ReadTime(reader, 6), ReadTime(reader, 7), ReadOptionalTime(reader, 8),
                reader.GetInt64(9) != 0, reader.GetInt64(10) != 0));
        }

        return budgets;
    }

    public async Task<int> SettleInterruptedUsageAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using SqliteConnection connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        // 1. What each interrupted request held is charged in full (its real usage is unknown, and the worst case is
        //    never less than it), unless it noted its progress.
        var held = new List<(string RequestId, Dictionary<string, long> Amounts)>();
        // A long stream noted its progress: then what it had used by its last checkpoint is charged instead.
        await using (SqliteCommand select = Command(
            connection, "SELECT request_id, COALESCE(progress, held) FROM usage_reservations"))
        {
            select.Transaction = transaction;
            await using SqliteDataReader reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Add((reader.GetString(0),
                    JsonSerializer.Deserialize<Dictionary<string, long>>(reader.GetString(1)) ?? []));
            }
        }

        foreach ((string requestId, Dictionary<string, long> amounts) in held)
        {
            foreach ((string budgetId, long amount) in amounts)
            {
                await using SqliteCommand charge = Command(
                    connection,
                    """
                    UPDATE budgets SET current_usage = current_usage + $amount, total_usage = total_usage + $amount
                    WHERE id = $id
                    """,
                    ("$amount", amount), ("$id", budgetId));
                charge.Transaction = transaction;
                await charge.ExecuteNonQueryAsync(cancellationToken);
            }

            // The row shows the held cost (the worst case of its cost budget, when it had one) as estimated.
            long? heldCost = amounts.FirstOrDefault(a => a.Key.EndsWith(":cost", StringComparison.Ordinal)) is
                { Key: not null } costHeld ? costHeld.Value : null;
            long? heldTokens = amounts.FirstOrDefault(a => a.Key.EndsWith(":tokens", StringComparison.Ordinal)) is
                { Key: not null } tokensHeld ? tokensHeld.Value : null;
            await using SqliteCommand mark = Command(
                connection,
                """
                UPDATE request_logs SET cost_pico = $cost, total_tokens = $tokens, tokens_estimated = 1
                WHERE id = $id AND outcome = 'pending'
                """,
                ("$cost", heldCost), ("$tokens", heldTokens), ("$id", requestId));
            mark.Transaction = transaction;
            await mark.ExecuteNonQueryAsync(cancellationToken);

            await using SqliteCommand delete = Command(
                connection, "DELETE FROM usage_reservations WHERE request_id = $id", ("$id", requestId));
            delete.Transaction = transaction;
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        // 2. Every row still pending is closed as interrupted.
        await using SqliteCommand close = Command(
            connection, "UPDATE request_logs SET outcome = 'interrupted' WHERE outcome = 'pending'");
        close.Transaction = transaction;
        int closed = await close.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return closed;
    }
}
