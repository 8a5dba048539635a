using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file from its own connection, once a second, so the writer's
/// commits never pay for a checkpoint (the writer's connection has automatic checkpoints turned off).
/// PASSIVE checkpoints never block readers or the writer.
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
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    try { checkpoint.ExecuteNonQuery(); }
                    catch (SqliteException e) { logger.LogWarning(e, "WAL checkpoint failed; it will be retried"); }
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
