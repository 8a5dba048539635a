namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>A Cosmos configuration that cannot work stops the server at start-up with a message naming the setting.</summary>
public sealed class CosmosConfigurationTests
{
    private static string StartupError(Dictionary<string, string?> settings)
    {
        settings["Storage:Provider"] = "Cosmos";
        var error = Assert.ThrowsAny<Exception>(() => FhirServer.With(settings).Dispose());
        while (error.InnerException is not null && error is not InvalidOperationException) error = error.InnerException;
        return error.Message;
    }

    [Fact]
    public void A_missing_connection_string_is_named()
    {
        Assert.Contains("Storage:Cosmos:ConnectionString is required", StartupError([]));
    }

    [Fact]
    public void The_emulator_certificate_is_never_accepted_from_a_remote_endpoint()
    {
        var message = StartupError(new()
        {
            ["Storage:Cosmos:ConnectionString"] = $"AccountEndpoint=https://myplan.documents.azure.com:443/;AccountKey={Convert.ToBase64String(new byte[64])};",
            ["Storage:Cosmos:AcceptEmulatorCertificate"] = "true",
        });
        Assert.Contains("AcceptEmulatorCertificate is only for an emulator on this machine", message);
    }

    [Fact]
    public void An_unknown_connection_mode_is_named()
    {
        var message = StartupError(new()
        {
            ["Storage:Cosmos:ConnectionString"] = $"AccountEndpoint=https://127.0.0.1:1/;AccountKey={Convert.ToBase64String(new byte[64])};",
            ["Storage:Cosmos:ConnectionMode"] = "Carrier-pigeon",
        });
        Assert.Contains("Storage:Cosmos:ConnectionMode must be Direct or Gateway", message);
    }
}
