using System.Collections.Frozen;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Hl7.Fhir.Utility;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Every search parameter the server supports, per resource type: the R4 definitions shipped with the Firely SDK
/// (their shared multi-type expressions split per type) plus the resource-level ones the SDK lacks.
/// Index extraction, the query parser and the CapabilityStatement all read from here, so nothing is claimed that
/// is not indexed.
/// </summary>
public sealed class SearchParameterRegistry
{
    /// <summary>Parameter types this server indexes and queries. Composite and special ones are not supported yet.</summary>
    private static readonly FrozenSet<SearchParamType> Supported = new[]
    {
        SearchParamType.String, SearchParamType.Token, SearchParamType.Reference, SearchParamType.Date,
        SearchParamType.Number, SearchParamType.Quantity, SearchParamType.Uri, SearchParamType.Composite,
    }.ToFrozenSet();

    private readonly FrozenDictionary<string, FrozenDictionary<string, SearchParameterDefinition>> _byType;

    public SearchParameterRegistry() : this([]) { }

    /// <param name="custom">
    /// SearchParameter resources of our own (profiles/). Each adds a parameter to every type in its base; one that
    /// reuses a standard code for a type replaces the standard definition there.
    /// </param>
    public SearchParameterRegistry(IEnumerable<SearchParameter> custom)
    {
        var byType = new Dictionary<string, Dictionary<string, SearchParameterDefinition>>();
        foreach (var type in ModelInfo.SupportedResources)
            byType[type] = ResourceLevel(type).ToDictionary(p => p.Code);
        byType["Resource"] = ResourceLevel("Resource").ToDictionary(p => p.Code); // for searches across all types

        var typeByUrl = ModelInfo.SearchParameters.Where(s => s.Url is not null)
            .GroupBy(s => s.Url!).ToDictionary(g => g.Key, g => g.First().Type);
        foreach (var sp in ModelInfo.SearchParameters)
        {
            if (sp.Resource is null || sp.Code is null || sp.Expression is null || !Supported.Contains(sp.Type)) continue;
            if (!byType.TryGetValue(sp.Resource, out var parameters) || parameters.ContainsKey(sp.Code)) continue;
            var expression = ExpressionFor(sp.Resource, sp.Expression);
            if (expression.Length == 0) continue;
            IReadOnlyList<CompositeComponent> components = [];
            if (sp.Type == SearchParamType.Composite)
            {
                components = (sp.Component ?? [])
                    .Select(c => new CompositeComponent(typeByUrl.GetValueOrDefault(c.Definition ?? ""), c.Expression ?? "$this"))
                    .ToList();
                if (!CompositeComponent.IsSupported(components)) continue;
            }
            parameters[sp.Code] = new SearchParameterDefinition
            {
                ResourceType = sp.Resource,
                Code = sp.Code,
                Url = sp.Url ?? $"http://hl7.org/fhir/SearchParameter/{sp.Resource}-{sp.Code}",
                Type = sp.Type,
                Expression = expression,
                Targets = sp.Target?.Select(t => t.GetLiteral()).ToArray() ?? [],
                Paths = sp.Type == SearchParamType.Composite && components.Any(c => c.Paths is null)
                    ? null
                    : PathExpression.TryCompileUnion(expression, sp.Resource),
                Components = components,
            };
        }
        foreach (var sp in custom) AddCustom(sp, byType);
        _byType = byType.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenDictionary());
    }

    private static void AddCustom(SearchParameter sp, Dictionary<string, Dictionary<string, SearchParameterDefinition>> byType)
    {
        if (sp.Code is null || sp.Expression is null || sp.Type is not { } type || !Supported.Contains(type) || type == SearchParamType.Composite)
            throw new InvalidOperationException($"SearchParameter {sp.Url}: needs a code, an expression and a type other than composite or special");
        foreach (var resource in sp.Base.Select(b => b.GetLiteral()))
        {
            if (!byType.TryGetValue(resource, out var parameters))
                throw new InvalidOperationException($"SearchParameter {sp.Url}: base '{resource}' is not a resource type");
            var expression = ExpressionFor(resource, sp.Expression);
            if (expression.Length == 0)
                throw new InvalidOperationException($"SearchParameter {sp.Url}: its expression has no part for {resource}");
            var definition = new SearchParameterDefinition
            {
                ResourceType = resource,
                Code = sp.Code,
                Url = sp.Url,
                Type = type,
                Expression = expression,
                Targets = sp.Target.Select(t => t.GetLiteral()).ToArray(),
                Paths = PathExpression.TryCompileUnion(expression, resource),
            };
            try { _ = definition.Compiled; } // a custom expression that does not compile must stop start-up, not a write
            catch (Exception e) { throw new InvalidOperationException($"SearchParameter {sp.Url}: expression does not compile: {e.Message}", e); }
            parameters[sp.Code] = definition;
        }
    }

    /// <summary>
    /// What the index of one resource type is built from: when it changes (a parameter added, removed or redefined),
    /// resources of that type already stored must be re-indexed.
    /// </summary>
    public string Fingerprint(string resourceType)
    {
        var text = string.Join("\n", For(resourceType).OrderBy(p => p.Code, StringComparer.Ordinal).Select(p => $"{p.Code}|{p.Type}|{p.Expression}"));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    public IReadOnlyCollection<SearchParameterDefinition> For(string resourceType) =>
        _byType.TryGetValue(resourceType, out var p) ? p.Values : [];

    public SearchParameterDefinition? Find(string resourceType, string code) =>
        _byType.TryGetValue(resourceType, out var p) && p.TryGetValue(code, out var d) ? d : null;

    private static IEnumerable<SearchParameterDefinition> ResourceLevel(string type)
    {
        SearchParameterDefinition Make(string code, SearchParamType kind, string path) => new()
        {
            ResourceType = type,
            Code = code,
            Url = $"http://hl7.org/fhir/SearchParameter/Resource-{code.TrimStart('_')}",
            Type = kind,
            Expression = path.Length == 0 ? "" : $"{type}.{path}",
            Paths = path.Length == 0 ? null : PathExpression.TryCompileUnion($"{type}.{path}", type),
        };
        yield return Make("_id", SearchParamType.Token, "");
        yield return Make("_lastUpdated", SearchParamType.Date, "");
        yield return Make("_tag", SearchParamType.Token, "meta.tag");
        yield return Make("_profile", SearchParamType.Uri, "meta.profile");
        yield return Make("_security", SearchParamType.Token, "meta.security");
        yield return Make("_source", SearchParamType.Uri, "meta.source");
    }

    /// <summary>
    /// Keeps the parts of a shared expression ("Patient.birthDate | Person.birthDate") that start at
    /// <paramref name="type"/>. Splits only on top-level '|' so unions inside functions stay whole.
    /// </summary>
    internal static string ExpressionFor(string type, string expression) =>
        string.Join(" | ", SplitUnion(expression).Where(part =>
        {
            var head = part.TrimStart('(');
            return head.StartsWith(type + ".", StringComparison.Ordinal) || head == type;
        }));

    /// <summary>The parts of a union, split only on top-level '|' so unions inside functions stay whole.</summary>
    internal static IEnumerable<string> SplitUnion(string expression)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
            else if (c == '|' && depth == 0)
            {
                yield return expression[start..i].Trim();
                start = i + 1;
            }
        }
        yield return expression[start..].Trim();
    }
}
