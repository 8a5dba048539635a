using System.Threading.Channels;
using FhirCare.FhirFacade.Search;
using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// The single writer. Requests queue up; the writer takes everything queued, applies each request inside a
/// savepoint of one transaction (so one request's conflict fails only that request) and commits once: one fsync
/// acknowledges many writes (group commit). A request's task completes only after its commit is durable.
/// </summary>
internal sealed class SqliteGroupCommitWriter : IAsyncDisposable
{
    private const int MaxRequestsPerCommit = 512;

    private sealed record Request(IReadOnlyList<ResourceWrite> Writes, TaskCompletionSource Done);

    private readonly Channel<Request> _queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly Statements _sql;
    private readonly Task _loop;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SqliteGroupCommitWriter(SqliteConnection connection)
    {
        _connection = connection;
        _sql = new Statements(connection);
        // A dedicated thread, not the thread pool: under load the pool's queue is full of request work, and the one
        // writer every request waits for must not queue behind it.
        var thread = new Thread(Run) { Name = "FhirCare SQLite writer", IsBackground = true, Priority = ThreadPriority.AboveNormal };
        thread.Start();
        _loop = _stopped.Task;
    }

    public Task WriteAsync(IReadOnlyList<ResourceWrite> writes)
    {
        var request = new Request(writes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(request)) throw new ObjectDisposedException(nameof(SqliteGroupCommitWriter));
        return request.Done.Task;
    }

    private void Run()
    {
        try { Loop(); }
        finally { _stopped.TrySetResult(); }
    }

    private void Loop()
    {
        var batch = new List<Request>(MaxRequestsPerCommit);
        var failures = new Exception?[MaxRequestsPerCommit];
        while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < MaxRequestsPerCommit && _queue.Reader.TryRead(out var r)) batch.Add(r);
            Array.Clear(failures);
            try
            {
                using (var tx = _connection.BeginTransaction())
                {
                    _sql.Enlist(tx);
                    for (int i = 0; i < batch.Count; i++) failures[i] = ApplyInSavepoint(batch[i].Writes);
                    tx.Commit();
                }
                for (int i = 0; i < batch.Count; i++)
                {
                    if (failures[i] is { } f) batch[i].Done.TrySetException(f);
                    else batch[i].Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                foreach (var r in batch) r.Done.TrySetException(e);
            }
        }
    }

    private Exception? ApplyInSavepoint(IReadOnlyList<ResourceWrite> writes)
    {
        _sql.Exec("SAVEPOINT request");
        try
        {
            foreach (var w in writes) Apply(w);
            _sql.Exec("RELEASE request");
            return null;
        }
        catch (Exception e) when (e is VersionConflictException or SqliteException)
        {
            _sql.Exec("ROLLBACK TO request");
            _sql.Exec("RELEASE request");
            return e;
        }
    }

    private void Apply(ResourceWrite w)
    {
        var (rid, current) = _sql.FindCurrent(w.Type, w.Id);
        if (w.IndexOnly)
        {
            if (rid is null || current != w.Version) return; // replaced meanwhile: the newer version has its own index
            _sql.DeleteIndex(rid.Value);
            foreach (var value in w.Index) _sql.InsertIndex(rid.Value, value);
            return;
        }
        if (current != w.ExpectedCurrentVersion) throw new VersionConflictException(w.Type, w.Id, w.ExpectedCurrentVersion, current);
        var ticks = w.LastUpdated.UtcTicks;
        if (rid is null) rid = _sql.InsertResource(w.Type, w.Id, w.Version, ticks, w.Deleted);
        else
        {
            _sql.UpdateResource(rid.Value, w.Version, ticks, w.Deleted);
            _sql.DeleteIndex(rid.Value);
        }
        _sql.InsertVersion(rid.Value, w, ticks);
        foreach (var value in w.Index) _sql.InsertIndex(rid.Value, value);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _sql.Dispose();
        _connection.Dispose();
    }

    /// <summary>The writer's prepared statements, reused for every write.</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteConnection _c;
        private readonly SqliteCommand _find, _insertResource, _updateResource, _insertVersion, _string, _token, _reference, _date, _number, _uri, _composite;
        private readonly SqliteCommand[] _deleteIndex;
        private readonly List<SqliteCommand> _all = [];

        public Statements(SqliteConnection c)
        {
            _c = c;
            _find = Make("SELECT rid, version FROM resource WHERE type = $a AND id = $b", 2);
            _insertResource = Make("INSERT INTO resource (type, id, version, last_updated, deleted) VALUES ($a, $b, $c, $d, $e) RETURNING rid", 5);
            _updateResource = Make("UPDATE resource SET version = $b, last_updated = $c, deleted = $d WHERE rid = $a", 4);
            _insertVersion = Make("INSERT INTO version (rid, type, version, last_updated, deleted, json, method, status) VALUES ($a, $b, $c, $d, $e, $f, $g, $h)", 8);
            _string = Make("INSERT OR IGNORE INTO idx_string (rid, param, norm, exact) VALUES ($a, $b, $c, $d)", 4);
            _token = Make("INSERT OR IGNORE INTO idx_token (rid, param, system, code, text) VALUES ($a, $b, $c, $d, $e)", 5);
            _reference = Make("INSERT OR IGNORE INTO idx_reference (rid, param, target_type, target_id, url) VALUES ($a, $b, $c, $d, $e)", 5);
            _date = Make("INSERT OR IGNORE INTO idx_date (rid, param, start, end) VALUES ($a, $b, $c, $d)", 4);
            _number = Make("INSERT OR IGNORE INTO idx_number (rid, param, value, low, high, system, code) VALUES ($a, $b, $c, $d, $e, $f, $g)", 7);
            _uri = Make("INSERT OR IGNORE INTO idx_uri (rid, param, value) VALUES ($a, $b, $c)", 3);
            _composite = Make("INSERT INTO idx_composite (rid, param, a_system, a_code, b_system, b_code, b_low, b_high, b_text) VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i)", 9);
            _deleteIndex = SqliteSchema.IndexTables.Select(t => Make($"DELETE FROM {t} WHERE rid = $a", 1)).ToArray();
        }

        private SqliteCommand Make(string sql, int parameters)
        {
            var cmd = _c.CreateCommand();
            cmd.CommandText = sql;
            for (int i = 0; i < parameters; i++) cmd.Parameters.Add(new SqliteParameter("$" + (char)('a' + i), null));
            _all.Add(cmd);
            return cmd;
        }

        public void Enlist(SqliteTransaction tx)
        {
            foreach (var cmd in _all) cmd.Transaction = tx;
        }

        private readonly Dictionary<string, SqliteCommand> _fixed = [];

        /// <summary>Runs a parameterless statement (SAVEPOINT, RELEASE, ROLLBACK TO), prepared on first use.</summary>
        public void Exec(string sql)
        {
            if (!_fixed.TryGetValue(sql, out var cmd)) _fixed[sql] = cmd = Make(sql, 0);
            cmd.Transaction = _find.Transaction;
            cmd.ExecuteNonQuery();
        }

        public (long? Rid, int Version) FindCurrent(string type, string id)
        {
            Set(_find, type, id);
            using var r = _find.ExecuteReader();
            return r.Read() ? (r.GetInt64(0), r.GetInt32(1)) : (null, 0);
        }

        public long InsertResource(string type, string id, int version, long ticks, bool deleted)
        {
            Set(_insertResource, type, id, version, ticks, deleted ? 1 : 0);
            return (long)_insertResource.ExecuteScalar()!;
        }

        public void UpdateResource(long rid, int version, long ticks, bool deleted) =>
            Run(_updateResource, rid, version, ticks, deleted ? 1 : 0);

        public void InsertVersion(long rid, ResourceWrite w, long ticks) =>
            Run(_insertVersion, rid, w.Type, w.Version, ticks, w.Deleted ? 1 : 0,
                System.Runtime.InteropServices.MemoryMarshal.TryGetArray(w.Json, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array : w.Json.ToArray(),
                w.Method, w.Status);

        public void DeleteIndex(long rid)
        {
            foreach (var cmd in _deleteIndex) Run(cmd, rid);
        }

        public void InsertIndex(long rid, IndexValue value)
        {
            var param = SqliteSchema.ParamId(value.Param);
            switch (value)
            {
                case StringIndexValue s: Run(_string, rid, param, s.Normalized, s.Exact); break;
                case TokenIndexValue t: Run(_token, rid, param, t.System ?? "", t.Code ?? "", t.Text); break;
                case ReferenceIndexValue r: Run(_reference, rid, param, r.TargetType ?? "", r.TargetId ?? "", r.Url ?? ""); break;
                case DateIndexValue d: Run(_date, rid, param, d.Start, d.End); break;
                case NumberIndexValue n: Run(_number, rid, param, (double)n.Value, (double)n.Low, (double)n.High, n.System ?? "", n.Code ?? ""); break;
                case UriIndexValue u: Run(_uri, rid, param, u.Value); break;
                case CompositeIndexValue c:
                    var (system, code, low, high, text) = c.Second switch
                    {
                        TokenIndexValue t => (t.System, t.Code, null, null, null),
                        NumberIndexValue n => (n.System, n.Code, (object)(double)n.Low, (object)(double)n.High, null),
                        DateIndexValue d => (null, null, d.Start, d.End, null),
                        StringIndexValue s => ((string?)null, (string?)null, (object?)null, (object?)null, s.Normalized),
                        _ => (null, null, null, null, null),
                    };
                    Run(_composite, rid, param, c.FirstSystem, c.FirstCode, system, code, low, high, text);
                    break;
            }
        }

        private static void Set(SqliteCommand cmd, params object?[] values)
        {
            for (int i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        private static void Run(SqliteCommand cmd, params object?[] values)
        {
            Set(cmd, values);
            cmd.ExecuteNonQuery();
        }

        public void Dispose()
        {
            foreach (var cmd in _all) cmd.Dispose();
        }
    }
}
