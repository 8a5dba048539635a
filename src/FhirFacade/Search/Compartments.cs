using System.Collections.Frozen;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Compartments (compartmentdefinition.html) from the official CompartmentDefinitions embedded in the server
/// (Search/Definitions/): which parameters put a resource of a type into, say, Patient/123's compartment.
/// Used for compartment search (Patient/123/Observation) and, later, for patient-scoped access.
/// </summary>
public sealed class Compartments
{
    private readonly SearchParameterRegistry _registry;
    private readonly FrozenDictionary<string, (string Url, FrozenDictionary<string, string[]> Parameters)> _byType;

    public Compartments(SearchParameterRegistry registry)
    {
        _registry = registry;
        var assembly = typeof(Compartments).Assembly;
        var definitions = new Dictionary<string, (string, FrozenDictionary<string, string[]>)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("FhirCare.Definitions.compartmentdefinition-", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var text = new StreamReader(stream);
            var definition = new FhirJsonDeserializer().Deserialize<CompartmentDefinition>(text.ReadToEnd());
            var parameters = definition.Resource
                .Where(r => r.Param.Any())
                .ToFrozenDictionary(r => r.Code!.Value.GetLiteral(), r => r.Param.ToArray());
            definitions[definition.Code!.Value.GetLiteral()] = (definition.Url, parameters);
        }
        _byType = definitions.ToFrozenDictionary();
    }

    public IEnumerable<string> Urls => _byType.Values.Select(d => d.Url);

    public bool IsCompartment(string type) => _byType.ContainsKey(type);

    /// <summary>The resource types that can be in a compartment of this type (the compartment's own type first).</summary>
    public IReadOnlyList<string> TypesIn(string compartment) =>
        _byType.TryGetValue(compartment, out var definition)
            ? definition.Parameters.Keys.Where(t => t != compartment).Order(StringComparer.Ordinal).Prepend(compartment).ToList()
            : [];

    /// <summary>
    /// The condition for "a <paramref name="resourceType"/> in <paramref name="compartment"/>/<paramref name="id"/>",
    /// or null when no resource of that type can be in the compartment.
    /// </summary>
    public SearchExpression? Membership(string compartment, string id, string resourceType) =>
        Membership(compartment, resourceType, new IdCondition([id]), key => new ReferenceCondition(key, compartment, id, null));

    /// <summary>
    /// The condition for "a <paramref name="resourceType"/> in the compartment of some <paramref name="compartment"/>":
    /// <paramref name="self"/> for the compartment's own type, and <paramref name="byReference"/> (given the index key
    /// of each reference parameter that puts a resource into the compartment) for the others; null when none applies.
    /// </summary>
    public SearchExpression? Membership(string compartment, string resourceType, SearchExpression self, Func<string, SearchExpression> byReference)
    {
        if (!_byType.TryGetValue(compartment, out var definition)) return null;
        var conditions = new List<SearchExpression>();
        if (resourceType == compartment) conditions.Add(self);
        if (definition.Parameters.TryGetValue(resourceType, out var codes))
            foreach (var code in codes)
                if (_registry.Find(resourceType, code) is { Type: SearchParamType.Reference } p)
                    conditions.Add(byReference(p.IndexKey));
        return conditions.Count switch { 0 => null, 1 => conditions[0], _ => new AnyOf(conditions) };
    }
}
