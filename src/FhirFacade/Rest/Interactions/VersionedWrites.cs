using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// Turns a resource into its next stored version: stamps id, versionId and lastUpdated, serialises it once
/// (those bytes are what reads serve) and extracts its search index. Shared by every writing interaction.
/// </summary>
public sealed class VersionedWrites(IndexExtractor indexer, TimeProvider clock)
{
    public (ResourceWrite Write, StoredResource Stored) NextVersion(Resource resource, string id, int currentVersion)
    {
        var version = currentVersion + 1;
        var now = Now();
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        var json = FhirJson.ToBytes(resource);
        var write = new ResourceWrite(resource.TypeName, id, version, currentVersion, now, false, json, indexer.Extract(resource));
        return (write, new StoredResource(resource.TypeName, id, version, now, false, json));
    }

    public ResourceWrite Tombstone(string type, string id, int currentVersion) =>
        new(type, id, currentVersion + 1, currentVersion, Now(), true, Array.Empty<byte>(), []);

    /// <summary>Millisecond precision, so lastUpdated round-trips exactly through JSON, SQL and _since.</summary>
    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
