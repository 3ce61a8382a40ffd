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
            foreach (LedgerEntry entry in entries)
            {
                if (entry.Log is { } log)
                {
                    await WriteLogRowAsync(log, transaction, cancellationToken);
                    await using SqliteCommand held = entry.Reservation is { } reservation
                        ? Command(connection, "INSERT OR REPLACE INTO usage_reservations (request_id, held) VALUES ($id, $held)",
                            ("$id", log.Id), ("$held", reservation))
                        : Command(connection, "DELETE FROM usage_reservations WHERE request_id = $id", ("$id", log.Id));
                    held.Transaction = transaction;
                    await held.ExecuteNonQueryAsync(cancellationToken);
                }

                foreach (BudgetSnapshot budget in entry.Budgets ?? [])
                {
                    await UpsertBudgetAsync(connection, transaction, budget, cancellationToken);
                }

                foreach (string id in entry.RemovedBudgets ?? [])
                {
                    await using SqliteCommand delete = Command(connection, "DELETE FROM budgets WHERE id = $id", ("$id", id));
                    delete.Transaction = transaction;
                    await delete.ExecuteNonQueryAsync(cancellationToken);
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

        // 1. What each interrupted request held is charged in full: its real usage is unknown, and the worst case is
        //    never less than it.
        var held = new List<(string RequestId, Dictionary<string, long> Amounts)>();
        await using (SqliteCommand select = Command(connection, "SELECT request_id, held FROM usage_reservations"))
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
            await using SqliteCommand mark = Command(
                connection,
                "UPDATE request_logs SET cost_pico = $cost, tokens_estimated = 1 WHERE id = $id AND outcome = 'pending'",
                ("$cost", heldCost), ("$id", requestId));
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

    private static async Task UpsertBudgetAsync(
        SqliteConnection connection, SqliteTransaction transaction, BudgetSnapshot b, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = Command(
            connection,
            $"""
            INSERT INTO budgets ({BudgetColumns})
            VALUES ($id, $kind, $owner, $type, $current, $total, $anchor, $start, $next, $alert, $exhausted)
            ON CONFLICT (id) DO UPDATE SET
                current_usage = excluded.current_usage, total_usage = excluded.total_usage, anchor = excluded.anchor,
                period_start = excluded.period_start, next_reset_at = excluded.next_reset_at,
                alert_sent = excluded.alert_sent, exhausted_sent = excluded.exhausted_sent
            """,
            ("$id", b.Id), ("$kind", b.OwnerKind), ("$owner", b.OwnerId), ("$type", b.Type), ("$current", b.CurrentUsage),
            ("$total", b.TotalUsage), ("$anchor", Time(b.Anchor)), ("$start", Time(b.PeriodStart)),
            ("$next", Time(b.NextResetAt)), ("$alert", b.AlertSent ? 1 : 0), ("$exhausted", b.ExhaustedSent ? 1 : 0));
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
