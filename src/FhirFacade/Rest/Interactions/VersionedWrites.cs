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
    /// <param name="method">The interaction, for history: POST, PUT or PATCH.</param>
    /// <param name="created">Whether this version (re)creates the resource: answered 201 rather than 200.</param>
    public (ResourceWrite Write, StoredResource Stored) NextVersion(Resource resource, string id, int currentVersion, string method, bool created)
    {
        var version = currentVersion + 1;
        var now = Now();
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        var json = FhirJson.ToBytes(resource);
        var write = new ResourceWrite(resource.TypeName, id, version, currentVersion, now, false, json, indexer.Extract(resource), method, created ? 201 : 200);
        return (write, new StoredResource(resource.TypeName, id, version, now, false, json));
    }

    public ResourceWrite Tombstone(string type, string id, int currentVersion) =>
        new(type, id, currentVersion + 1, currentVersion, Now(), true, Array.Empty<byte>(), [], "DELETE", 204);

    /// <summary>Millisecond precision, so lastUpdated round-trips exactly through JSON, SQL and _since.</summary>
    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
