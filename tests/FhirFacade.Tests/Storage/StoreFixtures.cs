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

    public virtual void Dispose() => _server?.Dispose();
}

public sealed class SqliteStore : StoreFixture
{
    public SqliteStore() => Start(new Dictionary<string, string?>());
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
    private readonly string? _database;

    public CosmosAccountStore()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } connectionString)
        {
            Unavailable = $"Cosmos DB account tests skipped: set {Variable} to an Azure Cosmos DB (or official emulator) connection string to run them";
            return;
        }
        _database = "fhircare-test-" + Guid.NewGuid().ToString("N")[..8];
        Start(CosmosEmulatorStore.CosmosSettings(connectionString, _database));
    }

    public override void Dispose()
    {
        base.Dispose();
        if (_database is null) return;
        using var client = new CosmosClient(Environment.GetEnvironmentVariable(Variable), new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            HttpClientFactory = () => new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator }),
        });
        client.GetDatabase(_database).DeleteStreamAsync().GetAwaiter().GetResult().Dispose();
    }
}
