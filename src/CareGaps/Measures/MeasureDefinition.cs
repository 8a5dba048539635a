using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// One Measure resource read into its declared logic: its criteria (the <c>measure-criterion</c> extensions), the
/// criteria of each population, whether it is an inverse measure (improvementNotation = decrease) and its ValueSets.
/// </summary>
public sealed class MeasureDefinition
{
    public const string CriterionExtension = "https://fhircare.org/fhir/StructureDefinition/measure-criterion";
    public const string CriteriaLanguage = "text/x-fhircare-criteria";

    /// <summary>The populations a proportion measure evaluates, in the order they are reported.</summary>
    internal static readonly string[] PopulationCodes =
        ["initial-population", "denominator", "denominator-exclusion", "denominator-exception", "numerator", "numerator-exclusion"];

    public Measure Measure { get; }
    public string Id => Measure.Id ?? "";
    public string Url => Measure.Url ?? "";
    public string Title => Measure.Title ?? Measure.Name ?? Id;
    /// <summary>Inverse measure (e.g. CMS122 poor control): being in the numerator is the gap.</summary>
    public bool Inverse { get; }
    public string GroupId { get; }
    internal IReadOnlyDictionary<string, Criterion> Criteria { get; }
    internal IReadOnlyDictionary<string, PopulationExpression> Populations { get; }
    internal IReadOnlyDictionary<string, CodeSet> ValueSets { get; }

    internal MeasureDefinition(Measure measure, IReadOnlyDictionary<string, CodeSet> valueSets)
    {
        Measure = measure;
        var where = $"Measure/{measure.Id}";
        if (measure.Url is not { Length: > 0 } url) throw new InvalidOperationException($"{where} has no url");
        var canonicalBase = url.Contains("/Measure/", StringComparison.Ordinal) ? url[..url.IndexOf("/Measure/", StringComparison.Ordinal)] : url;
        var scoring = measure.Scoring?.Coding.FirstOrDefault()?.Code;
        if (scoring != "proportion") throw new InvalidOperationException($"{where}: only proportion measures are supported, not '{scoring}'");
        Inverse = measure.ImprovementNotation?.Coding.FirstOrDefault()?.Code switch
        {
            "increase" => false,
            "decrease" => true,
            var other => throw new InvalidOperationException($"{where}: improvementNotation must be increase or decrease, not '{other}'"),
        };

        var criteria = new Dictionary<string, Criterion>(StringComparer.Ordinal);
        foreach (var extension in measure.Extension.Where(e => e.Url == CriterionExtension))
        {
            var text = (extension.Value as FhirString)?.Value ?? throw new InvalidOperationException($"{where}: a measure-criterion extension needs a valueString");
            Criterion criterion;
            try { criterion = CriterionText.Parse(text, canonicalBase); }
            catch (FormatException e) { throw new InvalidOperationException($"{where}: {e.Message}", e); }
            if (!criteria.TryAdd(criterion.Name, criterion)) throw new InvalidOperationException($"{where}: criterion '{criterion.Name}' is declared twice");
            foreach (var vs in criterion.ValueSets.Concat(criterion.Tests.Select(t => t.ValueSet).OfType<string>()))
                if (!valueSets.ContainsKey(vs)) throw new InvalidOperationException($"{where}: criterion '{criterion.Name}' uses ValueSet {vs}, which is not loaded");
        }

        if (measure.Group.Count != 1) throw new InvalidOperationException($"{where}: exactly one group is supported");
        var group = measure.Group[0];
        GroupId = group.ElementId ?? "group-1";
        var populations = new Dictionary<string, PopulationExpression>(StringComparer.Ordinal);
        foreach (var population in group.Population)
        {
            var code = population.Code?.Coding.FirstOrDefault()?.Code ?? throw new InvalidOperationException($"{where}: a population has no code");
            if (!PopulationCodes.Contains(code)) throw new InvalidOperationException($"{where}: population '{code}' is not one of {string.Join(", ", PopulationCodes)}");
            if (population.Criteria?.Language != CriteriaLanguage)
                throw new InvalidOperationException($"{where}: population '{code}' criteria must be in {CriteriaLanguage} (no CQL engine here)");
            PopulationExpression expression;
            try { expression = PopulationExpression.Parse(population.Criteria.Expression_ ?? ""); }
            catch (FormatException e) { throw new InvalidOperationException($"{where}: {e.Message}", e); }
            foreach (var name in expression.Names)
                if (!criteria.ContainsKey(name) && !PopulationCodes.Contains(name))
                    throw new InvalidOperationException($"{where}: population '{code}' uses '{name}', which is neither a criterion nor a population");
            populations[code] = expression;
        }
        foreach (var required in new[] { "initial-population", "denominator", "numerator" })
            if (!populations.ContainsKey(required)) throw new InvalidOperationException($"{where}: population '{required}' is missing");
        Criteria = criteria;
        Populations = populations;
        ValueSets = valueSets;
    }

    /// <summary>Per resource type, the codes any criterion of this measure looks for (what to fetch for a member).</summary>
    public IEnumerable<(string ResourceType, CodeSet Codes)> DataRequirements =>
        Criteria.Values.SelectMany(c => c.ValueSets.Select(vs => (c.ResourceType, ValueSets[vs])));
}
