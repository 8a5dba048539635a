using Hl7.Fhir.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace FhirCare.FhirFacade.Tests;

/// <summary>
/// The real server in-process (WebApplicationFactory) on a real SQLite file in a temp folder.
/// Tests talk to it over HTTP: with the Firely FhirClient, or a raw HttpClient for what FhirClient cannot send.
/// </summary>
public sealed class FhirServer : IDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    public string DatabasePath { get; }
    public Uri BaseAddress => _factory.Server.BaseAddress;

    public FhirServer() : this(null) { }

    /// <summary>A server with extra configuration (for tests of limits and settings); dispose it yourself.</summary>
    public static FhirServer With(IDictionary<string, string?> settings) => new(settings);

    /// <summary>A server with extra configuration and test-only services (an authentication handler, a log sink).</summary>
    public static FhirServer With(IDictionary<string, string?> settings, Action<IServiceCollection> services) => new(settings, services);

    private FhirServer(IDictionary<string, string?>? settings, Action<IServiceCollection>? services = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        DatabasePath = Path.Combine(folder, "fhircare.db");
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Test");
            b.UseSetting("Storage:Sqlite:Path", DatabasePath);
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) b.UseSetting(key, value);
            if (services is not null) b.ConfigureTestServices(services);
        });
        _ = _factory.Server; // start now, not in the first test
    }

    public HttpClient Http() => _factory.CreateClient();

    /// <summary>The server's services (the store, for store-level tests of what no interaction reaches yet).</summary>
    public IServiceProvider Services => _factory.Services;

    public FhirClient Client(ResourceFormat format = ResourceFormat.Json) =>
        new(BaseAddress.ToString(), _factory.CreateClient(), new FhirClientSettings
        {
            PreferredFormat = format,
            ReturnPreference = ReturnPreference.Representation,
            VerifyFhirVersion = false,
        });

    /// <summary>What the store holds, read straight from the SQLite file: used to prove a failed request changed nothing.</summary>
    public StoreFingerprint Fingerprint()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        long Scalar(string sql)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L);
        }
        return new StoreFingerprint(
            Scalar($"SELECT COUNT(*) FROM resource WHERE {NotAudit}"),
            Scalar($"SELECT COUNT(*) FROM version WHERE {NotAudit}"),
            Scalar($"SELECT COALESCE(MAX(seq), 0) FROM version WHERE {NotAudit}"),
            Scalar(string.Join(" + ", ((string[])["idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri"])
                .Select(t => $"(SELECT COUNT(*) FROM {t} WHERE rid NOT IN (SELECT rid FROM resource WHERE type = 'AuditEvent'))")).Insert(0, "SELECT ")));
    }

    /// <summary>Every request adds an AuditEvent (Audit/); "changed nothing" is about the other resources.</summary>
    private const string NotAudit = "type <> 'AuditEvent'";

    public void Dispose()
    {
        _factory.Dispose();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path.GetDirectoryName(DatabasePath)!, recursive: true); } catch (IOException) { }
    }
}

public sealed record StoreFingerprint(long Resources, long Versions, long LastSequence, long IndexRows);

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<FhirServer>
{
    public const string Name = "server";
}
