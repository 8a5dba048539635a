using Hl7.Fhir.Model;
using static FhirCare.Conformance.Generation.ScriptBuilder;

namespace FhirCare.Conformance.Generation;

/// <summary>One line of COVERAGE.md: a claimed search parameter, and the check that covers it or why none does.</summary>
public sealed record Coverage(string Type, string Code, string ParamType, string? Fixture, string? Matching, string? NotMatching, string? Reason);

/// <summary>
/// One TestScript per resource type with two searches per claimed parameter, each limited to the fixture by _id under
/// Prefer: handling=strict (an ignored parameter is an error, not a silent match): a value the fixture really has must
/// find it, and a value it does not have must not.
/// </summary>
public static class SearchScripts
{
    public static (TestScript Script, IReadOnlyList<Coverage> Coverage, IReadOnlyList<(string File, Resource Resource)> Planted) For(
        CapabilityStatement.ResourceComponent claimed, IReadOnlyList<(string File, Resource Resource)> examples,
        SearchDefinitions definitions, IReadOnlySet<string> knownFailures, Func<int, (string File, Resource Resource)> synthetic,
        Func<Resource, IReadOnlyList<string>> problems)
    {
        var fixtures = examples.ToList();
        var planted = new List<int>();
        var type = claimed.Type!;
        var script = Script($"search-{type}", $"{type}: search parameters",
            $"Every search parameter the CapabilityStatement claims for {type}, each with a value an official example (or the kit's minimal {type}) really has, and one it does not.");
        var coverage = new List<Coverage>();
        var used = new Dictionary<int, string>();
        string FixtureId(int index)
        {
            if (used.TryGetValue(index, out var id)) return id;
            id = $"fx{index + 1}";
            used[index] = id;
            script.Fixture.Add(Fixture(id, fixtures[index].File, auto: true));
            script.Variable.Add(IdOf($"id-{id}", id));
            return id;
        }

        foreach (var parameter in claimed.SearchParam.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var code = parameter.Name!;
            var paramType = parameter.Type?.ToString().ToLowerInvariant() ?? "?";
            if (knownFailures.Contains($"{type}?{code}"))
            {
                coverage.Add(new(type, code, paramType, null, null, null, "known server bug, see conformance/known-failures.txt"));
                continue;
            }
            var (index, probe, reason) = Probe(type, parameter, examples, definitions);
            if (probe is null && definitions.Find(type, parameter) is { Type: not SearchParamType.Special } definition)
                (index, probe, reason) = Plant(definition, fixtures, planted, synthetic, reason, problems);
            if (probe is null)
            {
                coverage.Add(new(type, code, paramType, null, null, null, reason));
                continue;
            }
            var fx = FixtureId(index);
            var matching = code == "_id" ? "${id-" + fx + "}" : probe.Matching;
            coverage.Add(new(type, code, paramType, Path.GetFileName(fixtures[index].File), matching, probe.NotMatching, null));
            (string, string) strict = ("Prefer", "handling=strict");
            var limit = code == "_id" ? "" : "&_id=${id-" + fx + "}";
            script.Test.Add(Test($"{code}", $"{type}?{code}", $"{code} ({paramType}) = {matching} finds {Path.GetFileName(fixtures[index].File)}; {probe.NotMatching} does not",
                Do(Operation("search", $"{code}={matching}", type, parameters: $"?{code}={Encode(matching)}{limit}", headers: strict)),
                Check(Status(200, "200 OK")),
                Check(EqualsValue($"Bundle.entry.resource.ofType({type}).id", "${id-" + fx + "}", "the fixture is found")),
                Do(Operation("search", $"{code}={probe.NotMatching}", type, parameters: $"?{code}={Encode(probe.NotMatching)}{(code == "_id" ? "" : limit)}", headers: strict)),
                Check(Status(200, "200 OK")),
                Check(EqualsValue($"Bundle.entry.resource.ofType({type}).count()", "0", "a value the fixture does not have finds nothing"))));
        }
        return (script, coverage, planted.Select(i => fixtures[i]).ToList());
    }

    /// <summary>
    /// Puts a value into a kit fixture (a new one when the existing ones have no room for it) and probes it like an
    /// example. A planting the server's $validate refuses (a reference target the element does not allow, a code
    /// outside a required binding, a broken invariant) is undone, and the next target type or fixture is tried.
    /// </summary>
    private static (int, SearchProbe?, string) Plant(SearchDefinition definition, List<(string File, Resource Resource)> fixtures, List<int> planted,
        Func<int, (string File, Resource Resource)> synthetic, string reason, Func<Resource, IReadOnlyList<string>> problems)
    {
        IReadOnlyList<string> refused = [];
        foreach (var index in planted.Append(-1))
        {
            var (file, resource) = index >= 0 ? fixtures[index] : synthetic(planted.Count + 1);
            var targets = ModelInfo.SearchParameters.FirstOrDefault(s => s.Resource == resource.TypeName && s.Code == definition.Code)?.Target?.Select(t => t.ToString()).ToList() ?? [];
            foreach (var target in targets.Count > 0 ? targets.Select(t => (string?)t) : [null])
            {
                var candidate = (Resource)resource.DeepCopy();
                var ok = definition.Type == SearchParamType.Composite
                    ? SearchPlanting.TryPlantComposite(candidate, definition, mayReplace: index < 0)
                    : SearchPlanting.TryPlant(candidate, definition.Type, definition.Expression, target is null ? [] : [target], mayReplace: index < 0);
                if (!ok || ProbeOne(definition, candidate) is not { } probe) continue;
                if (problems(candidate) is { Count: > 0 } found) { refused = found; continue; }
                if (index >= 0)
                {
                    fixtures[index] = (file, candidate);
                    return (index, probe, "");
                }
                fixtures.Add((file, candidate));
                planted.Add(fixtures.Count - 1);
                return (fixtures.Count - 1, probe, "");
            }
        }
        return (-1, null, refused.Count > 0
            ? $"{reason}; a value put along '{definition.Expression}' makes the fixture invalid on the server ({refused[0]})"
            : reason + "; and no value could be put along its expression " + $"'{definition.Expression}'");
    }

    private static SearchProbe? ProbeOne(SearchDefinition definition, Resource resource)
    {
        try
        {
            return SearchDefinitions.Select(resource, definition.Expression)
                .Select(node => definition.Type == SearchParamType.Composite ? Composite(definition, node) : SearchProbe.For(definition.Type, node))
                .FirstOrDefault(p => p is not null);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NotSupportedException)
        {
            return null;
        }
    }

    private static string Encode(string value) => value.StartsWith("${", StringComparison.Ordinal) ? value : Uri.EscapeDataString(value);

    private static (int Index, SearchProbe? Probe, string Reason) Probe(string type, CapabilityStatement.SearchParamComponent parameter,
        IReadOnlyList<(string File, Resource Resource)> fixtures, SearchDefinitions definitions)
    {
        switch (parameter.Name)
        {
            case "_id": return (0, new SearchProbe("", "no-such-id-zqxj"), "");
            case "_lastUpdated": return (0, new SearchProbe("ge2000-01-01", "lt2000-01-01"), "");
        }
        var definition = definitions.Find(type, parameter);
        if (definition is null) return (-1, null, "no definition found (not in the R4 definitions, not served as a SearchParameter)");
        if (definition.Type is SearchParamType.Special) return (-1, null, "special parameter: no generic value");
        for (var i = 0; i < fixtures.Count; i++)
        {
            IReadOnlyList<Base> nodes;
            try
            {
                nodes = SearchDefinitions.Select(fixtures[i].Resource, definition.Expression);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NotSupportedException)
            {
                return (-1, null, $"its expression cannot be evaluated here: {e.Message}");
            }
            foreach (var node in nodes)
                if ((definition.Type == SearchParamType.Composite ? Composite(definition, node) : SearchProbe.For(definition.Type, node)) is { } probe)
                    return (i, probe, "");
        }
        return (-1, null, fixtures.Count == 1 && fixtures[0].File.Contains("kit-minimal")
            ? "no official example of this type, and the kit's minimal resource has no value for it"
            : $"none of the {fixtures.Count} official example(s) of this type has a value for it");
    }

    private static SearchProbe? Composite(SearchDefinition definition, Base node)
    {
        if (definition.Components.Count != 2) return null;
        var first = SearchDefinitions.Select(node, definition.Components[0].Expression).Select(n => SearchProbe.For(definition.Components[0].Type, n)).FirstOrDefault(p => p is not null);
        var second = SearchDefinitions.Select(node, definition.Components[1].Expression).Select(n => SearchProbe.For(definition.Components[1].Type, n)).FirstOrDefault(p => p is not null);
        return first is not null && second is not null ? SearchProbe.Composite(first, second) : null;
    }
}
