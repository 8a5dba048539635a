using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// The entry point of measure evaluation: the Measures (with their ValueSets) read into declared logic once, then
/// each member evaluated against any of them. Pure: no storage, no clock (the caller says what "today" is).
/// </summary>
public sealed class MeasureCatalog
{
    private readonly Dictionary<string, MeasureDefinition> _byId;

    public IReadOnlyList<MeasureDefinition> Measures { get; }

    /// <summary>Reads every Measure that declares its criteria in our language; throws naming the first bad one.</summary>
    public MeasureCatalog(IEnumerable<Measure> measures, IEnumerable<ValueSet> valueSets)
    {
        var codeSets = CodeSet.Build(valueSets);
        Measures = measures
            .Where(m => m.Group.SelectMany(g => g.Population).Any(p => p.Criteria?.Language == MeasureDefinition.CriteriaLanguage))
            .Select(m => new MeasureDefinition(m, codeSets)).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        _byId = Measures.ToDictionary(m => m.Id, StringComparer.Ordinal);
    }

    public MeasureDefinition? Find(string id) => _byId.GetValueOrDefault(id);

    public static MeasureResult Evaluate(MeasureDefinition measure, Member member, MeasurementPeriod period, DateOnly today)
    {
        var facts = new MemberFacts(measure, member, period);
        var populations = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var code in MeasureDefinition.PopulationCodes)
            if (measure.Populations.ContainsKey(code)) populations[code] = facts.Population(code);
        // Proportion-measure semantics (measure.html#scoring): each population is a subset of the one before it.
        bool In(string code) => populations.GetValueOrDefault(code);
        var initial = In("initial-population");
        var denominator = initial && In("denominator");
        var excluded = denominator && In("denominator-exclusion");
        var excepted = denominator && !excluded && !In("numerator") && In("denominator-exception");
        var numerator = denominator && !excluded && In("numerator") && !In("numerator-exclusion");
        populations["initial-population"] = initial;
        populations["denominator"] = denominator;
        if (populations.ContainsKey("denominator-exclusion")) populations["denominator-exclusion"] = excluded;
        if (populations.ContainsKey("denominator-exception")) populations["denominator-exception"] = excepted;
        populations["numerator"] = numerator;
        if (populations.ContainsKey("numerator-exclusion")) populations["numerator-exclusion"] = denominator && !excluded && In("numerator-exclusion");

        GapStatus status;
        if (!denominator || excluded || excepted) status = GapStatus.NotApplicable;
        else if (numerator != measure.Inverse) status = GapStatus.ClosedGap;
        else status = today < period.End ? GapStatus.ProspectiveGap : GapStatus.OpenGap;

        var evaluated = new Dictionary<Resource, List<string>>(ReferenceEqualityComparer.Instance);
        void Note(Resource r, string population)
        {
            if (!evaluated.TryGetValue(r, out var list)) evaluated[r] = list = [];
            if (!list.Contains(population)) list.Add(population);
        }
        foreach (var (code, inIt) in populations)
        {
            if (!inIt) continue;
            Note(member.Patient, code);
            foreach (var resource in facts.EvidenceFor(measure.Populations[code])) Note(resource, code);
        }
        return new MeasureResult
        {
            Measure = measure, Member = member, Period = period, Populations = populations, GapStatus = status,
            EvaluatedResources = evaluated.Select(kv => (kv.Key, (IReadOnlyList<string>)kv.Value)).ToList(),
        };
    }
}
