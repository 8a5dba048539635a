using System.Text.Json;
using FhirCare.FhirFacade.Export;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>Export jobs in a table of the store's database, one JSON document per job. Rare writes: a connection each.</summary>
public sealed class SqliteExportJobStore : IExportJobStore
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly string _connectionString;
    private readonly string _synchronous;

    /// <param name="store">Taken so the database (and its folder) exist before the table is added.</param>
    public SqliteExportJobStore(SqliteFhirStore store, IOptions<SqliteOptions> options)
    {
        _ = store;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = System.IO.Path.GetFullPath(options.Value.Path), Pooling = false }.ToString();
        _synchronous = options.Value.Synchronous.ToUpperInvariant();
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "CREATE TABLE IF NOT EXISTS export_job (id TEXT PRIMARY KEY, finished INTEGER NOT NULL, json TEXT NOT NULL)";
        cmd.ExecuteNonQuery();
    }

    public Task SaveAsync(ExportJob job, CancellationToken ct)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO export_job (id, finished, json) VALUES ($id, $f, $j) ON CONFLICT (id) DO UPDATE SET finished = $f, json = $j";
        cmd.Parameters.AddWithValue("$id", job.Id);
        cmd.Parameters.AddWithValue("$f", job.Status is ExportStatus.Completed or ExportStatus.Failed ? 1 : 0);
        cmd.Parameters.AddWithValue("$j", JsonSerializer.Serialize(job, Json));
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<ExportJob?> ReadAsync(string id, CancellationToken ct) =>
        Task.FromResult(Query("SELECT json FROM export_job WHERE id = $id", id).FirstOrDefault());

    public Task<IReadOnlyList<ExportJob>> UnfinishedAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ExportJob>>(Query("SELECT json FROM export_job WHERE finished = 0", null));

    public Task DeleteAsync(string id, CancellationToken ct)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM export_job WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    private List<ExportJob> Query(string sql, string? id)
    {
        using var connection = Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        if (id is not null) cmd.Parameters.AddWithValue("$id", id);
        var jobs = new List<ExportJob>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) jobs.Add(JsonSerializer.Deserialize<ExportJob>(r.GetString(0), Json)!);
        return jobs;
    }

    private SqliteConnection Open() => SqliteSchema.Open(_connectionString, _synchronous);
}
