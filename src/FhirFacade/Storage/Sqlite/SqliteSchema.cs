using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Storage.Sqlite;

/// <summary>
/// The SQLite layout. <c>resource</c> holds one row per logical resource pointing at its current version;
/// <c>version</c> holds every version (the history) with its JSON; the <c>idx_*</c> tables hold the search index of
/// each resource's current version, keyed by the resource's rowid and a 64-bit hash of the parameter's index key.
/// Index tables are clustered on what searches look up (WITHOUT ROWID, primary key starting with param and value),
/// so a row costs one B-tree insert plus the rid index that lets an update drop the old rows. Missing token
/// systems, reference parts and units are stored as '' (a primary key cannot hold NULL); queries treat '' as absent.
/// </summary>
internal static class SqliteSchema
{
    public const int Version = 1;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS resource (
            rid INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            last_updated INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            UNIQUE (type, id));
        CREATE TABLE IF NOT EXISTS version (
            seq INTEGER PRIMARY KEY,
            rid INTEGER NOT NULL,
            type TEXT NOT NULL,
            version INTEGER NOT NULL,
            last_updated INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            method TEXT NOT NULL,
            status INTEGER NOT NULL,
            json BLOB NOT NULL,
            UNIQUE (rid, version));
        CREATE INDEX IF NOT EXISTS resource_by_type ON resource (type, deleted);
        CREATE INDEX IF NOT EXISTS version_by_type_time ON version (type, last_updated);
        CREATE INDEX IF NOT EXISTS version_by_time ON version (last_updated);
        CREATE TABLE IF NOT EXISTS index_state (type TEXT PRIMARY KEY, fingerprint TEXT NOT NULL) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS idx_string (rid INTEGER NOT NULL, param INTEGER NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL,
            PRIMARY KEY (param, norm, exact, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid);

        CREATE TABLE IF NOT EXISTS idx_token (rid INTEGER NOT NULL, param INTEGER NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL,
            PRIMARY KEY (param, code, system, text, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid);

        CREATE TABLE IF NOT EXISTS idx_reference (rid INTEGER NOT NULL, param INTEGER NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL,
            PRIMARY KEY (param, target_id, target_type, url, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_reference_target ON idx_reference (target_id, target_type);
        CREATE INDEX IF NOT EXISTS idx_reference_rid ON idx_reference (rid);

        CREATE TABLE IF NOT EXISTS idx_date (rid INTEGER NOT NULL, param INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
            PRIMARY KEY (param, start, end, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid);

        CREATE TABLE IF NOT EXISTS idx_number (rid INTEGER NOT NULL, param INTEGER NOT NULL, value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
            system TEXT NOT NULL, code TEXT NOT NULL, PRIMARY KEY (param, value, low, high, system, code, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_number_rid ON idx_number (rid);

        CREATE TABLE IF NOT EXISTS idx_uri (rid INTEGER NOT NULL, param INTEGER NOT NULL, value TEXT NOT NULL,
            PRIMARY KEY (param, value, rid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS idx_uri_rid ON idx_uri (rid);

        CREATE TABLE IF NOT EXISTS idx_composite (rid INTEGER NOT NULL, param INTEGER NOT NULL, a_system TEXT, a_code TEXT,
            b_system TEXT, b_code TEXT, b_low, b_high, b_text TEXT);
        CREATE INDEX IF NOT EXISTS idx_composite_match ON idx_composite (param, a_code, rid);
        CREATE INDEX IF NOT EXISTS idx_composite_rid ON idx_composite (rid);
        """;

    public static readonly string[] IndexTables = ["idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri", "idx_composite"];

    public static string TableFor(Search.IndexKind kind) => kind switch
    {
        Search.IndexKind.String => "idx_string",
        Search.IndexKind.Token => "idx_token",
        Search.IndexKind.Reference => "idx_reference",
        Search.IndexKind.Date => "idx_date",
        Search.IndexKind.Number => "idx_number",
        Search.IndexKind.Composite => "idx_composite",
        _ => "idx_uri",
    };

    /// <summary>FNV-1a of the index key ("Patient.name"): a stable integer key, so rows carry 8 bytes, not the name.</summary>
    public static long ParamId(string indexKey)
    {
        ulong hash = 14695981039346656037;
        foreach (var c in indexKey)
        {
            hash ^= c;
            hash *= 1099511628211;
        }
        return (long)(hash >> 1);
    }

    /// <summary>Opens a connection with the pragmas every connection needs.</summary>
    public static SqliteConnection Open(string connectionString, string synchronous)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
