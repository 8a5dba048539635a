using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file from its own connection, once a second, so the writer's
/// commits never pay for a checkpoint (the writer's connection has automatic checkpoints turned off).
/// PASSIVE checkpoints never block readers or the writer; when the log passes 256 MB anyway (steady load keeps it
/// in use), a RESTART checkpoint brings it back. Every five minutes it also refreshes the query planner's
/// statistics (PRAGMA optimize).
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Past this size the log is restarted from its beginning (and trimmed back to it) at the next tick.</summary>
    private const long MaxWalBytes = 256L * 1024 * 1024;

    public SqliteCheckpointer(string connectionString, string databasePath, string synchronous, ILogger logger)
    {
        _loop = Task.Run(async () =>
        {
            using var connection = SqliteSchema.Open(connectionString, synchronous);
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            using var restart = connection.CreateCommand();
            // Under steady load a passive checkpoint never finds the log unused, so it would grow without bound:
            // a RESTART checkpoint waits for the readers of old frames and lets the writer start over at the beginning.
            restart.CommandText = $"PRAGMA journal_size_limit = {MaxWalBytes / 4}; PRAGMA wal_checkpoint(RESTART)";
            var wal = new FileInfo(databasePath + "-wal");
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
                        wal.Refresh();
                        if (wal.Exists && wal.Length > MaxWalBytes) restart.ExecuteNonQuery();
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
