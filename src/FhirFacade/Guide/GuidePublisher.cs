using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Guide;

/// <summary>The implementation-guide folder (profiles/, copied next to the server at build; Search:ProfilesPath).</summary>
public sealed record ProfilesFolder(string Path);

/// <summary>
/// Publishes the implementation guide: at start-up, before the first request, every resource in profiles/ (one per
/// file, or the entries of a Bundle) is stored under its own id, so clients read and search the guide's
/// StructureDefinitions, ValueSets, SearchParameters, Measures… like any other resource. Folders named
/// <c>examples</c> are left out (they are test material, not artefacts). An artefact whose content is unchanged keeps
/// its version; a changed one gets a new version, so history shows how the guide evolved.
/// </summary>
public sealed class GuidePublisher(ProfilesFolder folder, IFhirStore store, VersionedWrites versions, ILogger<GuidePublisher> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var artefacts = Load(folder.Path);
        var writes = new List<ResourceWrite>();
        foreach (var (file, resource) in artefacts)
        {
            var current = await store.ReadAsync(resource.TypeName, resource.Id, ct);
            var currentVersion = current?.Version ?? 0;
            if (current is { Deleted: false } && SameContent(FhirResponses.ParseStored(current), resource)) continue;
            writes.Add(versions.NextVersion(resource, resource.Id, currentVersion, "PUT", created: current is null or { Deleted: true }).Write);
            logger.LogInformation("Publishing {Type}/{Id} from {File}", resource.TypeName, resource.Id, file);
        }
        // One commit per artefact: a store may keep each resource in its own partition (Cosmos DB commits atomically
        // only within one), and an artefact does not depend on the others being written with it.
        foreach (var write in writes) await store.CommitAsync([write], ct);
        logger.LogInformation("Implementation guide: {Count} artefacts, {Changed} new or changed", artefacts.Count, writes.Count);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Every artefact under <paramref name="path"/>, in file order; a file that is not a valid resource stops start-up.</summary>
    public static IReadOnlyList<(string File, Resource Resource)> Load(string path)
    {
        if (!Directory.Exists(path)) return [];
        var parser = new FhirJsonDeserializer();
        var found = new List<(string, Resource)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = System.IO.Path.GetRelativePath(path, file);
            if (relative.Split(System.IO.Path.DirectorySeparatorChar).Contains("examples")) continue;
            Resource resource;
            try { resource = parser.DeserializeResource(File.ReadAllText(file)); }
            catch (Exception e) { throw new InvalidOperationException($"profiles/{relative} is not a valid FHIR R4 resource: {e.Message}", e); }
            var resources = resource is Bundle bundle ? bundle.Entry.Select(e => e.Resource).OfType<Resource>() : [resource];
            foreach (var r in resources)
            {
                if (string.IsNullOrEmpty(r.Id)) throw new InvalidOperationException($"profiles/{relative}: every artefact needs an id ({r.TypeName} has none)");
                if (!seen.Add($"{r.TypeName}/{r.Id}")) throw new InvalidOperationException($"profiles/{relative}: {r.TypeName}/{r.Id} is defined twice");
                found.Add((relative, r));
            }
        }
        return found;
    }

    private static bool SameContent(Resource stored, Resource candidate)
    {
        var a = (Resource)stored.DeepCopy();
        var b = (Resource)candidate.DeepCopy();
        foreach (var r in new[] { a, b })
        {
            r.Meta ??= new Meta();
            r.Meta.VersionId = null;
            r.Meta.LastUpdated = null;
            if (r.Meta.IsExactly(new Meta())) r.Meta = null;
        }
        return a.IsExactly(b);
    }
}
