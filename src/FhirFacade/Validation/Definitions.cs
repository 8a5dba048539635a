using System.Collections.Concurrent;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Validation;

/// <summary>Element trees of StructureDefinitions by canonical URL (core types by name), built once each.</summary>
public sealed class Definitions(ConformanceResources resources)
{
    public const string CoreBase = "http://hl7.org/fhir/StructureDefinition/";
    private readonly ConcurrentDictionary<string, ElementTree?> _trees = new(StringComparer.Ordinal);

    public ConformanceResources Resources => resources;

    /// <summary>The tree of the profile or core type at <paramref name="canonical"/>, or null when it is not known.</summary>
    public ElementTree? Tree(string canonical) =>
        _trees.GetOrAdd(canonical.Split('|')[0], url => resources.StructureDefinition(url) is { } sd ? new ElementTree(sd) : null);

    public ElementTree? CoreType(string type) => Tree(CoreBase + type);

    /// <summary>The resource or data type a canonical constrains ("Patient" for both the core Patient and a Patient profile).</summary>
    public string? TypeOf(string canonical) =>
        canonical.StartsWith(CoreBase, StringComparison.Ordinal) && !canonical.AsSpan(CoreBase.Length).Contains('/')
            ? (resources.StructureDefinition(canonical)?.Type ?? canonical[CoreBase.Length..])
            : resources.StructureDefinition(canonical)?.Type;
}
