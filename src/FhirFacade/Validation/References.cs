using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Validation;

/// <summary>The resource type a Reference points at, as far as the reference itself tells (references.html).</summary>
public static class References
{
    /// <summary>
    /// From a relative or absolute RESTful URL ("Patient/1", "https://x/fhir/Patient/1/_history/2"), a contained
    /// reference ("#x", looked up in <paramref name="root"/>), or Reference.type; null when it cannot be told
    /// (urn:uuid:, logical references by identifier only).
    /// </summary>
    public static string? TargetType(ResourceReference reference, Resource root)
    {
        var text = reference.Reference;
        if (string.IsNullOrEmpty(text)) return reference.Type;
        if (text.StartsWith('#'))
            return root is DomainResource d ? d.Contained.FirstOrDefault(c => c.Id == text[1..])?.TypeName : null;
        if (text.StartsWith("urn:", StringComparison.Ordinal)) return reference.Type;
        var parts = text.Split('?')[0].Split('/');
        var history = Array.IndexOf(parts, "_history");
        var end = history >= 0 ? history : parts.Length;
        if (end >= 2 && ModelInfo.IsKnownResource(parts[end - 2])) return parts[end - 2];
        return reference.Type;
    }
}
