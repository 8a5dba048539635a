using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file from its own connection, once a second, so the writer's
/// commits never pay for a checkpoint (the writer's connection has automatic checkpoints turned off).
/// PASSIVE checkpoints never block readers or the writer. Every five minutes it also refreshes the query
/// planner's statistics (PRAGMA optimize).
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SqliteCheckpointer(string connectionString, string synchronous, ILogger logger)
    {
        _loop = Task.Run(async () =>
        {
            using var connection = SqliteSchema.Open(connectionString, synchronous);
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            using var optimize = connection.CreateCommand();
            // Keeps the planner's statistics current (which index lookups are selective); bounded work per run.
            optimize.CommandText = "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;";
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var ticks = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    try
                    {
                        checkpoint.ExecuteNonQuery();
                        if (ticks++ % 300 == 10) optimize.ExecuteNonQuery();
                    }
                    catch (SqliteException e) { logger.LogWarning(e, "WAL checkpoint or optimize failed; it will be retried"); }
                }
            }
            catch (OperationCanceledException) { }
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            try { checkpoint.ExecuteNonQuery(); } catch (SqliteException) { }
        });
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
