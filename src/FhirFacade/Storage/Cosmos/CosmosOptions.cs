namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>Storage:Cosmos:* (see the README's "Cosmos DB" section).</summary>
public sealed class CosmosOptions
{
    /// <summary>"AccountEndpoint=https://…;AccountKey=…;" (required).</summary>
    public string ConnectionString { get; set; } = "";

    public string Database { get; set; } = "fhircare";

    public string Container { get; set; } = "resources";

    /// <summary>Direct (TCP to the replicas, fastest on Azure) or Gateway (HTTPS only; emulators need it).</summary>
    public string ConnectionMode { get; set; } = "Direct";

    /// <summary>Provisioned throughput for the container when this server creates it; null: the account's default (serverless or shared).</summary>
    public int? Throughput { get; set; }

    /// <summary>How often the SDK retries a request throttled with 429, and how long it may wait in all.</summary>
    public int MaxRetryAttemptsOnRateLimitedRequests { get; set; } = 9;

    public int MaxRetryWaitSeconds { get; set; } = 30;

    /// <summary>
    /// Accept the self-signed certificate of a local emulator. Honoured only when the endpoint is a loopback address,
    /// so it can never switch off certificate checks towards a real account.
    /// </summary>
    public bool AcceptEmulatorCertificate { get; set; }
}
