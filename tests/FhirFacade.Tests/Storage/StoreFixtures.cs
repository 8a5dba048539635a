using Microsoft.Azure.Cosmos;

namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>A server on one store for <see cref="StoreBehaviourTests{TStore}"/>, or the reason it cannot run here.</summary>
public abstract class StoreFixture : IDisposable
{
    private FhirServer? _server;

    public string? Unavailable { get; protected init; }

    public FhirServer Server => _server ?? throw new InvalidOperationException(Unavailable);

    /// <summary>The server's settings: another server started with them shares its store.</summary>
    public IDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();

    protected void Start(IDictionary<string, string?> settings) => _server = FhirServer.With(Settings = settings);

    /// <summary>Settings for a server on a new, empty store of the same kind (removed with the fixture).</summary>
    public abstract Dictionary<string, string?> NewStoreSettings();

    public virtual void Dispose() => _server?.Dispose();
}

public sealed class SqliteStore : StoreFixture
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fhircare-tests", Guid.NewGuid().ToString("N"));

    public SqliteStore() => Start(new Dictionary<string, string?>());

    public override Dictionary<string, string?> NewStoreSettings() =>
        new() { ["Storage:Sqlite:Path"] = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".db") };

    public override void Dispose()
    {
        base.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Tier 1: the Cosmos store against the npm emulator this test run starts (needs Node.js).</summary>
public sealed class CosmosEmulatorStore : StoreFixture
{
    public CosmosEmulatorStore()
    {
        var emulator = CosmosEmulator.Instance;
        if (emulator.Unavailable is { } reason) { Unavailable = reason; return; }
        Start(CosmosSettings(emulator.ConnectionString, "fhircare-" + Guid.NewGuid().ToString("N")[..8]));
    }

    /// <summary>The emulator holds data in memory and ends with the test run, so new databases need no clean-up.</summary>
    public override Dictionary<string, string?> NewStoreSettings() =>
        CosmosSettings(CosmosEmulator.Instance.ConnectionString, "fhircare-" + Guid.NewGuid().ToString("N")[..8]);

    public static Dictionary<string, string?> CosmosSettings(string connectionString, string database) => new()
    {
        ["Storage:Provider"] = "Cosmos",
        ["Storage:Cosmos:ConnectionString"] = connectionString,
        ["Storage:Cosmos:Database"] = database,
        ["Storage:Cosmos:ConnectionMode"] = "Gateway",
        ["Storage:Cosmos:AcceptEmulatorCertificate"] = "true",
    };
}

/// <summary>
/// Tier 2: the Cosmos store against real Azure Cosmos DB or the official emulator named by
/// COSMOS_TEST_CONNECTION_STRING, in a database of its own that is deleted afterwards.
/// </summary>
public sealed class CosmosAccountStore : StoreFixture
{
    public const string Variable = "COSMOS_TEST_CONNECTION_STRING";
    private readonly List<string> _databases = [];

    public CosmosAccountStore()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } connectionString)
        {
            Unavailable = $"Cosmos DB account tests skipped: set {Variable} to an Azure Cosmos DB (or official emulator) connection string to run them";
            return;
        }
        Start(NewStoreSettings());
    }

    public override Dictionary<string, string?> NewStoreSettings()
    {
        var database = "fhircare-test-" + Guid.NewGuid().ToString("N")[..8];
        _databases.Add(database);
        return CosmosEmulatorStore.CosmosSettings(Environment.GetEnvironmentVariable(Variable)!, database);
    }

    public override void Dispose()
    {
        base.Dispose();
        if (_databases.Count == 0) return;
        using var client = new CosmosClient(Environment.GetEnvironmentVariable(Variable), new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            HttpClientFactory = () => new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator }),
        });
        foreach (var database in _databases) client.GetDatabase(database).DeleteStreamAsync().GetAwaiter().GetResult().Dispose();
    }
}
