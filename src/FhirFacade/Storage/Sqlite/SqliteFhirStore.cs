using System.Collections.Concurrent;
using System.Text;
using FhirCare.FhirFacade.Search;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace FhirCare.FhirFacade.Storage.Sqlite;

public sealed class SqliteOptions
{
    /// <summary>The database file; created with its folder on first start.</summary>
    public string Path { get; set; } = "data/fhircare.db";

    /// <summary>SQLite's synchronous mode: FULL fsyncs the WAL on every commit (durable across power loss).</summary>
    public string Synchronous { get; set; } = "FULL";
}

/// <summary>The embedded store: one SQLite file in WAL mode, a single group-committing writer, pooled readers.</summary>
public sealed class SqliteFhirStore : IFhirStore, IAsyncDisposable
{
    private const string SelectColumns = "r.type, r.id, v.version, v.last_updated, v.deleted, v.json";

    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly SqliteGroupCommitWriter _writer;
    private readonly SqliteCheckpointer _checkpointer;
    private readonly ConcurrentBag<ReadConnection> _readers = [];

    public SqliteFhirStore(IOptions<SqliteOptions> options, ILogger<SqliteFhirStore> logger)
    {
        var path = System.IO.Path.GetFullPath(options.Value.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _synchronous = options.Value.Synchronous.ToUpperInvariant() is "FULL" or "NORMAL" or "EXTRA" or "OFF"
            ? options.Value.Synchronous.ToUpperInvariant()
            : throw new ArgumentException($"Storage:Sqlite:Synchronous must be FULL, NORMAL, EXTRA or OFF, not '{options.Value.Synchronous}'");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        var writeConnection = SqliteSchema.Open(_connectionString, _synchronous);
        using (var create = writeConnection.CreateCommand())
        {
            create.CommandText = SqliteSchema.Create + $"PRAGMA user_version = {SqliteSchema.Version}; PRAGMA wal_autocheckpoint = 0;";
            create.ExecuteNonQuery();
        }
        _writer = new SqliteGroupCommitWriter(writeConnection);
        _checkpointer = new SqliteCheckpointer(_connectionString, path, _synchronous, logger);
    }

    public Task CommitAsync(IReadOnlyList<ResourceWrite> writes, CancellationToken ct) => _writer.WriteAsync(writes);

    public ValueTask<StoredResource?> ReadAsync(string type, string id, CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            reader.Current.Parameters[0].Value = type;
            reader.Current.Parameters[1].Value = id;
            return ValueTask.FromResult(ReadOne(reader.Current));
        }
        finally { Return(reader); }
    }

    public ValueTask<StoredResource?> ReadVersionAsync(string type, string id, int version, CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            reader.Version.Parameters[0].Value = type;
            reader.Version.Parameters[1].Value = id;
            reader.Version.Parameters[2].Value = version;
            return ValueTask.FromResult(ReadOne(reader.Version));
        }
        finally { Return(reader); }
    }

    public Task<HistoryPage> HistoryAsync(HistoryQuery q, CancellationToken ct)
    {
        var where = new StringBuilder("1 = 1");
        var parameters = new List<SqliteParameter>();
        void Add(string clause, string name, object value) { where.Append(" AND ").Append(clause); parameters.Add(new SqliteParameter(name, value)); }

        if (q.Level != HistoryLevel.System) Add("v.type = $type", "$type", q.Type!);
        if (q.Level == HistoryLevel.Instance) Add("r.id = $id", "$id", q.Id!);
        if (q.Since is { } since) Add("v.last_updated >= $since", "$since", since.UtcTicks);
        if (q.At is { } at)
        {
            // Current at some point of [start, end]: written by the end, and not yet replaced at the start.
            Add("v.last_updated <= $atEnd", "$atEnd", at.End);
            Add("NOT EXISTS (SELECT 1 FROM version v2 WHERE v2.rid = v.rid AND v2.version > v.version AND v2.last_updated <= $atStart)", "$atStart", at.Start);
        }
        var filter = where.ToString();
        if (q.Before is { } cursor)
        {
            where.Append(" AND (v.last_updated < $cticks OR (v.last_updated = $cticks AND v.seq < $cseq))");
            parameters.Add(new SqliteParameter("$cticks", cursor.LastUpdatedTicks));
            parameters.Add(new SqliteParameter("$cseq", cursor.Sequence));
        }

        var reader = Rent();
        try
        {
            using var cmd = reader.Connection.CreateCommand();
            cmd.CommandText = $"""
                SELECT {SelectColumns}, v.seq, v.method, v.status FROM version v JOIN resource r ON r.rid = v.rid
                WHERE {where} ORDER BY v.last_updated DESC, v.seq DESC LIMIT {q.Count + 1}
                """;
            cmd.Parameters.AddRange(parameters);
            var entries = new List<StoredResource>();
            HistoryCursor? next = null;
            using (var r = cmd.ExecuteReader())
            {
                long lastTicks = 0, lastSeq = 0;
                while (r.Read())
                {
                    if (entries.Count == q.Count) { next = new HistoryCursor(lastTicks, lastSeq); break; }
                    entries.Add(Materialize(r) with { Method = r.GetString(7), Status = r.GetInt32(8) });
                    (lastTicks, lastSeq) = (r.GetInt64(3), r.GetInt64(6));
                }
            }
            long? total = null;
            if (q.Level == HistoryLevel.Instance)
            {
                using var count = reader.Connection.CreateCommand();
                count.CommandText = $"SELECT COUNT(*) FROM version v JOIN resource r ON r.rid = v.rid WHERE {filter}";
                foreach (var p in parameters.Where(p => p.ParameterName is not ("$cticks" or "$cseq")))
                    count.Parameters.Add(new SqliteParameter(p.ParameterName, p.Value));
                total = (long)count.ExecuteScalar()!;
            }
            return Task.FromResult(new HistoryPage(entries, next, total));
        }
        finally { Return(reader); }
    }

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            var compiled = SqliteSearchCompiler.Compile(query, query.Cursor, reader.Connection);
            var keyCount = compiled.KeyCount;
            var backwards = compiled.Backwards;
            using var cmd = reader.Connection.CreateCommand();
            cmd.CommandText = compiled.Select;
            cmd.Parameters.AddRange(compiled.Parameters);
            var rows = new List<(StoredResource Resource, object?[] Keys)>();
            var more = false;
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                {
                    if (rows.Count == query.Count) { more = query.Count > 0; break; }
                    var keys = new object?[keyCount];
                    for (int i = 0; i < keyCount; i++) keys[i] = r.IsDBNull(6 + i) ? null : r.GetValue(6 + i);
                    rows.Add((Materialize(r), keys));
                }
            if (backwards) rows.Reverse();

            // Forward: a next page exists if a row was left over; a previous one if we started from a cursor.
            // Backward: the other way round.
            var hasNext = backwards || more;
            var hasPrevious = backwards ? more : query.Cursor is not null;
            var next = hasNext && rows.Count > 0 ? compiled.Cursor(false, rows[^1].Keys) : null;
            var previous = hasPrevious && rows.Count > 0 ? compiled.Cursor(true, rows[0].Keys) : null;

            long? total = null;
            if (query.Total != TotalMode.None || query.Count == 0)
            {
                using var count = reader.Connection.CreateCommand();
                count.CommandText = compiled.Count;
                foreach (var p in compiled.Parameters) count.Parameters.Add(new SqliteParameter(p.ParameterName, p.Value));
                total = (long)count.ExecuteScalar()!;
            }
            var matches = rows.Select(m => m.Resource).ToList();
            var included = query.Includes.Count == 0 ? [] : Include(reader.Connection, query.Includes, matches);
            return Task.FromResult(new SearchPage(matches, included, total, next, previous));
        }
        finally { Return(reader); }
    }

    /// <summary>What one _include/_revinclude spec reaches from the given resources (see <see cref="IncludeResolution"/>).</summary>
    private static List<StoredResource> Include(SqliteConnection connection, IReadOnlyList<IncludeSpec> specs, List<StoredResource> matches)
    {
        var pending = IncludeResolution.ResolveAsync(specs, matches, (spec, type, ids) =>
        {
            var sql = spec.Reverse
                ? SqliteSearchCompiler.RevInclude(spec, type, ids)
                : spec.SourceType == type ? SqliteSearchCompiler.Include(spec, ids) : null;
            if (sql is null) return ValueTask.FromResult<IReadOnlyList<StoredResource>?>(null);
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql.Select + $" LIMIT {IncludeResolution.MaxIncluded}";
            cmd.Parameters.AddRange(sql.Parameters);
            var reached = new List<StoredResource>();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) reached.Add(Materialize(r));
            return ValueTask.FromResult<IReadOnlyList<StoredResource>?>(reached);
        });
        // Every step above completes synchronously, so the task is already done.
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    public Task<IReadOnlyList<StoredResource>> ScanAsync(string type, string? afterId, int count, CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            using var cmd = reader.Connection.CreateCommand();
            cmd.CommandText = $"""
                SELECT {SelectColumns} FROM resource r JOIN version v ON v.rid = r.rid AND v.version = r.version
                WHERE r.type = $type AND r.deleted = 0 AND r.id > $after ORDER BY r.id LIMIT $count
                """;
            cmd.Parameters.AddWithValue("$type", type);
            cmd.Parameters.AddWithValue("$after", afterId ?? "");
            cmd.Parameters.AddWithValue("$count", count);
            var page = new List<StoredResource>();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) page.Add(Materialize(r));
            return Task.FromResult<IReadOnlyList<StoredResource>>(page);
        }
        finally { Return(reader); }
    }

    public Task ReindexAsync(IReadOnlyList<(StoredResource Resource, IReadOnlyList<IndexValue> Index)> items, CancellationToken ct) =>
        _writer.WriteAsync(items.Select(i => new ResourceWrite(i.Resource.Type, i.Resource.Id, i.Resource.Version, i.Resource.Version,
            i.Resource.LastUpdated, false, i.Resource.Json, i.Index, "", 0) { IndexOnly = true }).ToList());

    public Task<IReadOnlyDictionary<string, string>> IndexFingerprintsAsync(CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            using var cmd = reader.Connection.CreateCommand();
            cmd.CommandText = "SELECT type, fingerprint FROM index_state";
            var result = new Dictionary<string, string>();
            using (var r = cmd.ExecuteReader())
                while (r.Read()) result[r.GetString(0)] = r.GetString(1);
            return Task.FromResult<IReadOnlyDictionary<string, string>>(result);
        }
        finally { Return(reader); }
    }

    /// <summary>Rare (start-up and after a re-index), so written on a connection of its own rather than by the writer.</summary>
    public Task SetIndexFingerprintsAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct)
    {
        using var connection = SqliteSchema.Open(_connectionString, _synchronous);
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO index_state (type, fingerprint) VALUES ($t, $f) ON CONFLICT (type) DO UPDATE SET fingerprint = $f";
        var t = cmd.Parameters.Add(new SqliteParameter("$t", ""));
        var f = cmd.Parameters.Add(new SqliteParameter("$f", ""));
        foreach (var (type, fingerprint) in fingerprints)
        {
            (t.Value, f.Value) = (type, fingerprint);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return Task.CompletedTask;
    }

    public Task<bool> IsReadyAsync(CancellationToken ct)
    {
        var reader = Rent();
        try
        {
            using var cmd = reader.Connection.CreateCommand();
            cmd.CommandText = "SELECT 1";
            return Task.FromResult(Convert.ToInt32(cmd.ExecuteScalar()) == 1);
        }
        finally { Return(reader); }
    }

    private static StoredResource? ReadOne(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? Materialize(r) : null;
    }

    private static StoredResource Materialize(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), new DateTimeOffset(r.GetInt64(3), TimeSpan.Zero), r.GetInt64(4) != 0,
        (byte[])r.GetValue(5));

    private ReadConnection Rent() => _readers.TryTake(out var c) ? c : new ReadConnection(SqliteSchema.Open(_connectionString, _synchronous));

    private void Return(ReadConnection c) => _readers.Add(c);

    private int _disposed;

    /// <summary>Idempotent: the container may reach this store both as itself and as the IFhirStore.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _writer.DisposeAsync();
        await _checkpointer.DisposeAsync();
        while (_readers.TryTake(out var c)) c.Dispose();
    }

    /// <summary>A reader connection with its point-read statements prepared once.</summary>
    private sealed class ReadConnection : IDisposable
    {
        public SqliteConnection Connection { get; }
        public SqliteCommand Current { get; }
        public SqliteCommand Version { get; }

        public ReadConnection(SqliteConnection connection)
        {
            Connection = connection;
            Current = Prepare($"SELECT {SelectColumns} FROM resource r JOIN version v ON v.rid = r.rid AND v.version = r.version WHERE r.type = $type AND r.id = $id", "$type", "$id");
            Version = Prepare($"SELECT {SelectColumns} FROM resource r JOIN version v ON v.rid = r.rid WHERE r.type = $type AND r.id = $id AND v.version = $version", "$type", "$id", "$version");
        }

        private SqliteCommand Prepare(string sql, params string[] names)
        {
            var cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var n in names) cmd.Parameters.Add(new SqliteParameter(n, ""));
            cmd.Prepare();
            return cmd;
        }

        public void Dispose()
        {
            Current.Dispose();
            Version.Dispose();
            Connection.Dispose();
        }
    }
}
