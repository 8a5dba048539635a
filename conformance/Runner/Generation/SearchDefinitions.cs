using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Generation;

/// <summary>A search parameter as the generator needs it: where its values are (FHIRPath) and, for composites, its parts.</summary>
public sealed record SearchDefinition(string Code, SearchParamType Type, string Expression, IReadOnlyList<(SearchParamType Type, string Expression)> Components);

/// <summary>
/// Finds the definition of each parameter the CapabilityStatement claims: the R4 definitions in the Firely SDK
/// (by type and code, then by definition URL), SearchParameter resources the server serves, and the common
/// parameters the SDK leaves out (_tag, _security, _source, _profile on meta).
/// </summary>
public sealed class SearchDefinitions(IReadOnlyList<SearchParameter> served)
{
    private static readonly Dictionary<string, (SearchParamType, string)> Common = new()
    {
        ["_tag"] = (SearchParamType.Token, "meta.tag"),
        ["_security"] = (SearchParamType.Token, "meta.security"),
        ["_profile"] = (SearchParamType.Uri, "meta.profile"),
        ["_source"] = (SearchParamType.Uri, "meta.source"),
    };

    public SearchDefinition? Find(string type, CapabilityStatement.SearchParamComponent claimed)
    {
        var code = claimed.Name ?? "";
        if (Common.TryGetValue(code, out var common)) return new(code, common.Item1, common.Item2, []);
        var sdk = ModelInfo.SearchParameters.FirstOrDefault(s => s.Resource == type && s.Code == code && s.Expression is not null)
                  ?? ModelInfo.SearchParameters.FirstOrDefault(s => s.Url == claimed.Definition && s.Expression is not null);
        if (sdk is not null)
        {
            var components = (sdk.Component ?? [])
                .Select(c => (ModelInfo.SearchParameters.FirstOrDefault(s => s.Url == c.Definition)?.Type ?? SearchParamType.Special, c.Expression ?? "$this"))
                .ToList();
            return new(code, sdk.Type, sdk.Expression!, components);
        }
        var resource = served.FirstOrDefault(s => s.Url == claimed.Definition)
            ?? served.FirstOrDefault(s => s.Code == code && s.Base.Any(b => b.ToString() == type));
        return resource is { Expression: { Length: > 0 } expression, Type: { } t } ? new(code, t, expression, []) : null;
    }

    /// <summary>The elements an expression selects in a resource; resolve() answers with an empty resource of the referenced type.</summary>
    public static IReadOnlyList<Base> Select(Base node, string expression) =>
        node.Select(expression, new FhirEvaluationContext { ElementResolver = ResolveTypeOnly }).Where(b => b is not null).ToList()!;

    private static PocoNode? ResolveTypeOnly(string reference)
    {
        var parts = reference.Split('/');
        var type = parts.Length >= 2 ? parts[^2] : null;
        return type is not null && ModelInfo.GetTypeForFhirType(type) is { } clr && Activator.CreateInstance(clr) is Resource r ? r.ToPocoNode() : null;
    }
}
