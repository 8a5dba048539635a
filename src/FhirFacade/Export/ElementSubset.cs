using FhirCare.FhirFacade.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCare.FhirFacade.Export;

/// <summary>
/// $export's <c>_elements</c> (Bulk Data IG v2): a resource cut down to the listed root elements plus the mandatory ones
/// (id, meta and every element with a minimum cardinality of 1), tagged SUBSETTED so that it is never taken for the
/// whole resource. A type none of whose elements is listed is exported whole.
/// </summary>
public static class ElementSubset
{
    public static bool IsElementOf(string type, string element) =>
        ModelInfo.ModelInspector.FindClassMapping(type)?.FindMappedElementByName(element) is not null;

    /// <summary>The listed elements ("element" or "Type.element") that apply to <paramref name="type"/>; null: none do.</summary>
    public static string[]? For(string type, IReadOnlyList<string> elements)
    {
        var names = elements.Select(e => e.Split('.') is [var t, var name] ? (t == type ? name : null) : e)
            .OfType<string>().Where(e => IsElementOf(type, e)).Distinct().ToArray();
        return names.Length == 0 ? null : names;
    }

    /// <summary>The stored JSON cut down to <paramref name="names"/>; throws when the stored resource cannot be read.</summary>
    public static byte[] Apply(ReadOnlyMemory<byte> json, string[] names)
    {
        var resource = FhirResponses.ParseJson(json);
        FhirResponses.MarkSubsetted(resource);
        return FhirJson.ToBytes(resource, SummaryType.False, names);
    }
}
