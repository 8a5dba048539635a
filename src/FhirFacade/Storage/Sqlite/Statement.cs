using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// A statement prepared once on a connection's raw handle and bound by position, for the writer's hot loop. It runs
/// inside whatever transaction the connection has open. After each execution the bindings are cleared, so a
/// parameter left unbound is NULL.
/// </summary>
internal sealed class Statement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public Statement(sqlite3 db, string sql)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v2(db, sql, out _stmt));
    }

    public Statement Int64(int index, long value) => Bound(raw.sqlite3_bind_int64(_stmt, index, value));

    public Statement Double(int index, double value) => Bound(raw.sqlite3_bind_double(_stmt, index, value));

    public Statement Text(int index, string? value) =>
        Bound(value is null ? raw.sqlite3_bind_null(_stmt, index) : raw.sqlite3_bind_text(_stmt, index, value));

    public Statement Blob(int index, ReadOnlySpan<byte> value) => Bound(raw.sqlite3_bind_blob(_stmt, index, value));

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    /// <summary>Executes the statement, which returns no rows.</summary>
    public void Run()
    {
        try { Check(raw.sqlite3_step(_stmt), raw.SQLITE_DONE); }
        finally { Reset(); }
    }

    /// <summary>Executes the statement and reads its first row, or returns <paramref name="none"/> when it has none.</summary>
    public T Row<T>(Func<Statement, T> read, T none)
    {
        try
        {
            var rc = raw.sqlite3_step(_stmt);
            if (rc == raw.SQLITE_DONE) return none;
            Check(rc, raw.SQLITE_ROW);
            return read(this);
        }
        finally { Reset(); }
    }

    private void Reset()
    {
        raw.sqlite3_reset(_stmt);
        raw.sqlite3_clear_bindings(_stmt);
    }

    private Statement Bound(int rc)
    {
        Check(rc);
        return this;
    }

    private void Check(int rc, int expected = raw.SQLITE_OK)
    {
        if (rc != expected) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose() => _stmt.Dispose();
}
