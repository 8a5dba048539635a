using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Transactions;

/// <summary>
/// Finds the references inside a Bundle entry's resource that the server must rewrite (http.html#trules): a fullUrl
/// of another entry (urn:uuid:, urn:oid: or absolute) and conditional references ([type]?criteria). Looks everywhere
/// in the resource (extensions, nested and contained elements) except narrative.
/// </summary>
public static class ReferenceRewriter
{
    /// <summary>A reference to rewrite: set <see cref="Value"/> to the resolved [type]/[id].</summary>
    public sealed record Target(PrimitiveType Element, string Reference, string Location)
    {
        public string Value { set => Element.JsonValue = value; }
    }

    /// <param name="fullUrls">Every fullUrl in the Bundle (only those are rewritten in uri elements).</param>
    public static List<Target> Find(Resource resource, string location, IReadOnlySet<string> fullUrls)
    {
        var found = new List<Target>();
        Walk(resource, location, fullUrls, found);
        return found;
    }

    public static bool IsLocal(string reference) =>
        reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal);

    /// <summary>[type]?criteria, e.g. Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123.</summary>
    public static bool IsConditional(string reference)
    {
        var question = reference.IndexOf('?');
        return question > 0 && ResourceTypes.Served.Contains(reference[..question]);
    }

    private static void Walk(Base node, string path, IReadOnlySet<string> fullUrls, List<Target> found)
    {
        switch (node)
        {
            case Narrative:
                return;
            case ResourceReference r when r.ReferenceElement is { Value: { } value } element
                                          && (IsLocal(value) || fullUrls.Contains(value) || IsConditional(value)):
                found.Add(new Target(element, value, path + ".reference"));
                break;
            case FhirUri or Canonical or FhirUrl when node is PrimitiveType { JsonValue: string uri } p && fullUrls.Contains(uri):
                found.Add(new Target(p, uri, path));
                return;
        }
        foreach (var (name, value) in node.EnumerateElements())
        {
            switch (value)
            {
                case Base child:
                    Walk(child, $"{path}.{name}", fullUrls, found);
                    break;
                case IEnumerable<Base> list:
                    var i = 0;
                    foreach (var item in list) Walk(item, $"{path}.{name}[{i++}]", fullUrls, found);
                    break;
            }
        }
    }
}
