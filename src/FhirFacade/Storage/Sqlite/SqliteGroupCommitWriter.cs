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

    /// <summary>
    /// The writer's prepared statements, reused for every write. They run on the raw SQLite handle with positional
    /// binds: Microsoft.Data.Sqlite looks every parameter up by name on each execution, which was a quarter of the
    /// writer's busy time when a create writes forty index rows.
    /// </summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteConnection _c;
        private readonly Statement _find, _insertResource, _updateResource, _insertVersion, _string, _token, _reference, _date, _number, _uri, _composite;
        private readonly Statement[] _deleteIndex;
        private readonly List<Statement> _all = [];
        private readonly Dictionary<string, Statement> _fixed = [];

        public Statements(SqliteConnection c)
        {
            _c = c;
            _find = Make("SELECT rid, version FROM resource WHERE type = ?1 AND id = ?2");
            _insertResource = Make("INSERT INTO resource (type, id, version, last_updated, deleted) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING rid");
            _updateResource = Make("UPDATE resource SET version = ?2, last_updated = ?3, deleted = ?4 WHERE rid = ?1");
            _insertVersion = Make("INSERT INTO version (rid, type, version, last_updated, deleted, json, method, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
            _string = Make("INSERT OR IGNORE INTO idx_string (rid, param, norm, exact) VALUES (?1, ?2, ?3, ?4)");
            _token = Make("INSERT OR IGNORE INTO idx_token (rid, param, system, code, text) VALUES (?1, ?2, ?3, ?4, ?5)");
            _reference = Make("INSERT OR IGNORE INTO idx_reference (rid, param, target_type, target_id, url) VALUES (?1, ?2, ?3, ?4, ?5)");
            _date = Make("INSERT OR IGNORE INTO idx_date (rid, param, start, end) VALUES (?1, ?2, ?3, ?4)");
            _number = Make("INSERT OR IGNORE INTO idx_number (rid, param, value, low, high, system, code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            _uri = Make("INSERT OR IGNORE INTO idx_uri (rid, param, value) VALUES (?1, ?2, ?3)");
            _composite = Make("INSERT INTO idx_composite (rid, param, a_system, a_code, b_system, b_code, b_low, b_high, b_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
            _deleteIndex = SqliteSchema.IndexTables.Select(t => Make($"DELETE FROM {t} WHERE rid = ?1")).ToArray();
        }

        private Statement Make(string sql)
        {
            var statement = new Statement(_c.Handle!, sql);
            _all.Add(statement);
            return statement;
        }

        /// <summary>Runs a parameterless statement (SAVEPOINT, RELEASE, ROLLBACK TO), prepared on first use.</summary>
        public void Exec(string sql)
        {
            if (!_fixed.TryGetValue(sql, out var statement)) _fixed[sql] = statement = Make(sql);
            statement.Run();
        }

        public (long? Rid, int Version) FindCurrent(string type, string id)
        {
            _find.Text(1, type).Text(2, id);
            return _find.Row(s => ((long?)s.Int64(0), (int)s.Int64(1)), (null, 0));
        }

        public long InsertResource(string type, string id, int version, long ticks, bool deleted) =>
            _insertResource.Text(1, type).Text(2, id).Int64(3, version).Int64(4, ticks).Int64(5, deleted ? 1 : 0)
                .Row(s => s.Int64(0), 0L);

        public void UpdateResource(long rid, int version, long ticks, bool deleted) =>
            _updateResource.Int64(1, rid).Int64(2, version).Int64(3, ticks).Int64(4, deleted ? 1 : 0).Run();

        public void InsertVersion(long rid, ResourceWrite w, long ticks) =>
            _insertVersion.Int64(1, rid).Text(2, w.Type).Int64(3, w.Version).Int64(4, ticks).Int64(5, w.Deleted ? 1 : 0)
                .Blob(6, w.Json.Span).Text(7, w.Method).Int64(8, w.Status).Run();

        public void DeleteIndex(long rid)
        {
            foreach (var statement in _deleteIndex) statement.Int64(1, rid).Run();
        }

        public void InsertIndex(long rid, IndexValue value)
        {
            var param = SqliteSchema.ParamId(value.Param);
            switch (value)
            {
                case StringIndexValue s: _string.Int64(1, rid).Int64(2, param).Text(3, s.Normalized).Text(4, s.Exact).Run(); break;
                case TokenIndexValue t: _token.Int64(1, rid).Int64(2, param).Text(3, t.System ?? "").Text(4, t.Code ?? "").Text(5, t.Text ?? "").Run(); break;
                case ReferenceIndexValue r: _reference.Int64(1, rid).Int64(2, param).Text(3, r.TargetType ?? "").Text(4, r.TargetId ?? "").Text(5, r.Url ?? "").Run(); break;
                case DateIndexValue d: _date.Int64(1, rid).Int64(2, param).Int64(3, d.Start).Int64(4, d.End).Run(); break;
                case NumberIndexValue n:
                    _number.Int64(1, rid).Int64(2, param).Double(3, (double)n.Value).Double(4, (double)n.Low).Double(5, (double)n.High)
                        .Text(6, n.System ?? "").Text(7, n.Code ?? "").Run();
                    break;
                case UriIndexValue u: _uri.Int64(1, rid).Int64(2, param).Text(3, u.Value).Run(); break;
                case CompositeIndexValue c:
                    _composite.Int64(1, rid).Int64(2, param).Text(3, c.FirstSystem).Text(4, c.FirstCode);
                    switch (c.Second)
                    {
                        case TokenIndexValue t: _composite.Text(5, t.System).Text(6, t.Code); break;
                        case NumberIndexValue n: _composite.Text(5, n.System).Text(6, n.Code).Double(7, (double)n.Low).Double(8, (double)n.High); break;
                        case DateIndexValue d: _composite.Int64(7, d.Start).Int64(8, d.End); break;
                        case StringIndexValue s: _composite.Text(9, s.Normalized); break;
                    }
                    _composite.Run();
                    break;
            }
        }

        public void Dispose()
        {
            foreach (var statement in _all) statement.Dispose();
        }
    }
}
