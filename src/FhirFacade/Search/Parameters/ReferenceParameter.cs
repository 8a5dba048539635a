using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>
/// Reference search (search.html#reference): id, Type/id, absolute URL, :Type, :identifier (a logical reference's
/// Reference.identifier, indexed as a token under "[key]:identifier"); chaining is parsed by the query parser.
/// </summary>
public static class ReferenceParameter
{
    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        if (value is ResourceReference { Identifier: { } identifier })
            into.Add(new TokenIndexValue(param + IdentifierSuffix, identifier.System, identifier.Value, null));
        switch (value)
        {
            case ResourceReference r when r.Reference is { Length: > 0 } reference:
                if (reference.StartsWith('#')) return;
                var (type, id) = Split(reference);
                into.Add(new ReferenceIndexValue(param, type, id, type is null ? reference : null));
                break;
            case PrimitiveType { JsonValue: string canonical } when canonical.Length > 0:
                // A relative canonical ("PlanDefinition/KDN5[|version]") names a resource here: index it as Type/id.
                var bar = canonical.IndexOf('|');
                var (canonicalType, canonicalId) = canonical.Contains("://") ? (null, null) : Split(bar < 0 ? canonical : canonical[..bar]);
                into.Add(canonicalType is null
                    ? new ReferenceIndexValue(param, null, null, canonical)
                    : new ReferenceIndexValue(param, canonicalType, canonicalId, null));
                break;
        }
    }

    public const string IdentifierSuffix = ":identifier";

    public static SearchExpression Parse(string param, string? modifier, string value)
    {
        if (modifier == "identifier") return TokenParameter.Parse(param + IdentifierSuffix, null, value);
        if (modifier is not null && Hl7.Fhir.Model.ModelInfo.IsKnownResource(modifier))
            return new ReferenceCondition(param, modifier, value.Contains('/') ? Split(value).Id ?? value : value, null);
        if (modifier is not null)
            throw new SearchParseException($"The modifier ':{modifier}' is not supported on reference parameters");
        var (type, id) = Split(value);
        if (type is not null) return new ReferenceCondition(param, type, id, null);
        if (value.Contains("://") || value.StartsWith("urn:", StringComparison.Ordinal))
            return new ReferenceCondition(param, null, null, value);
        return new ReferenceCondition(param, null, value, null);
    }

    /// <summary>The resource type a literal reference names, relative or absolute ("http://x/fhir/Patient/1/_history/2" → Patient).</summary>
    internal static string? TypeOf(string reference)
    {
        var path = reference;
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0) path = path[..history];
        var slash = path.LastIndexOf('/');
        if (slash <= 0) return null;
        var type = path[(path.LastIndexOf('/', slash - 1) + 1)..slash];
        return Hl7.Fhir.Model.ModelInfo.IsKnownResource(type) ? type : null;
    }

    /// <summary>Type and id of a relative reference "Type/id" or ".../Type/id[/_history/n]"; (null, null) for anything else.</summary>
    internal static (string? Type, string? Id) Split(string reference)
    {
        var path = reference;
        var history = path.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0) path = path[..history];
        var slash = path.LastIndexOf('/');
        if (slash <= 0) return (null, null);
        var prev = path.LastIndexOf('/', slash - 1);
        var type = path[(prev + 1)..slash];
        var id = path[(slash + 1)..];
        if (!Hl7.Fhir.Model.ModelInfo.IsKnownResource(type) || id.Length == 0) return (null, null);
        // An absolute reference to another server stays a URL; relative (or ours, made relative by the caller) splits.
        if (prev >= 0 && reference.Contains("://")) return (null, null);
        return (type, id);
    }
}
