using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCare.FhirFacade.Tests;

/// <summary>
/// Stores a resource straight through the server's store, for fixtures of types the API only reads (AuditEvent:
/// the server records those itself, so the spec's examples cannot be PUT).
/// </summary>
public static class StoreSeed
{
    public static async Task<string> PutAsync(this FhirServer server, Resource resource)
    {
        var store = server.Services.GetRequiredService<IFhirStore>();
        var current = await store.ReadAsync(resource.TypeName, resource.Id, CancellationToken.None);
        var (write, _) = server.Services.GetRequiredService<VersionedWrites>()
            .NextVersion((Resource)resource.DeepCopy(), resource.Id, current?.Version ?? 0, "PUT", created: current is null);
        await store.CommitAsync([write], CancellationToken.None);
        return write.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static bool IsReadOnly(string type) => ResourceTypes.ReadOnly.Contains(type);
}
