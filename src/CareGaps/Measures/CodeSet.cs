using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>The (system, code) pairs of a ValueSet: its expansion if it has one, else its compose (concept lists and
/// included ValueSets). Intensional rules (filters) cannot be expanded without the code systems and are refused.</summary>
public sealed class CodeSet
{
    private readonly HashSet<(string System, string Code)> _codes;

    private CodeSet(HashSet<(string, string)> codes) => _codes = codes;

    public IReadOnlyCollection<(string System, string Code)> Codes => _codes;

    public bool Contains(Coding coding) => coding.System is { } s && coding.Code is { } c && _codes.Contains((s, c));

    public bool ContainsAny(IReadOnlyList<Coding> codings)
    {
        for (var i = 0; i < codings.Count; i++)
            if (Contains(codings[i])) return true;
        return false;
    }

    /// <summary>Every ValueSet that can be read, by canonical; the others' problems in <paramref name="problems"/>.</summary>
    internal static IReadOnlyDictionary<string, CodeSet> Build(IEnumerable<ValueSet> valueSets, out Dictionary<string, string> problems)
    {
        var byUrl = new Dictionary<string, ValueSet>(StringComparer.Ordinal);
        foreach (var vs in valueSets)
            if (vs.Url is { } url) byUrl[url] = vs;
        var built = new Dictionary<string, CodeSet>(StringComparer.Ordinal);
        problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var url in byUrl.Keys)
        {
            try { Resolve(url, byUrl, built, []); }
            catch (InvalidOperationException e) { problems[url] = e.Message; }
        }
        return built;
    }

    private static CodeSet Resolve(string url, Dictionary<string, ValueSet> byUrl, Dictionary<string, CodeSet> built, HashSet<string> visiting)
    {
        if (built.TryGetValue(url, out var done)) return done;
        if (!byUrl.TryGetValue(StripVersion(url), out var vs)) throw new InvalidOperationException($"ValueSet {url} is not loaded");
        if (!visiting.Add(url)) throw new InvalidOperationException($"ValueSet {url} includes itself");
        var codes = new HashSet<(string, string)>();
        if (vs.Expansion?.Contains is { Count: > 0 } contains)
            AddExpansion(contains, codes);
        else
            foreach (var include in vs.Compose?.Include ?? [])
            {
                if (include.Filter.Count > 0) throw new InvalidOperationException($"ValueSet {url} uses a filter; list its codes (compose.include.concept) instead");
                foreach (var concept in include.Concept) codes.Add((include.System ?? "", concept.Code ?? ""));
                foreach (var imported in include.ValueSet.OfType<string>()) codes.UnionWith(Resolve(imported, byUrl, built, visiting)._codes);
            }
        foreach (var exclude in vs.Compose?.Exclude ?? [])
            foreach (var concept in exclude.Concept) codes.Remove((exclude.System ?? "", concept.Code ?? ""));
        visiting.Remove(url);
        return built[url] = new CodeSet(codes);
    }

    private static void AddExpansion(List<ValueSet.ContainsComponent> contains, HashSet<(string, string)> codes)
    {
        foreach (var c in contains)
        {
            if (c.System is { } s && c.Code is { } code) codes.Add((s, code));
            AddExpansion(c.Contains, codes);
        }
    }

    private static string StripVersion(string canonical) => canonical.Split('|')[0];
}
