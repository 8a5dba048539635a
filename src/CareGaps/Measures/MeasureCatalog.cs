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

    /// <summary>Why a declared Measure could not be read (by id): a bad criterion, an unknown ValueSet…</summary>
    public IReadOnlyDictionary<string, string> Problems { get; }

    /// <summary>
    /// Reads every Measure that declares its criteria in our language. A Measure that cannot be read is left out and
    /// its problem kept in <see cref="Problems"/>, so one bad Measure does not stop the others.
    /// </summary>
    public MeasureCatalog(IEnumerable<Measure> measures, IEnumerable<ValueSet> valueSets)
    {
        var codeSets = CodeSet.Build(valueSets, out var valueSetProblems);
        var read = new List<MeasureDefinition>();
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var measure in measures.Where(IsDeclared))
        {
            try { read.Add(new MeasureDefinition(measure, codeSets)); }
            catch (InvalidOperationException e)
            {
                var broken = ValueSetsUsedBy(measure).Select(vs => valueSetProblems.GetValueOrDefault(vs)).OfType<string>().FirstOrDefault();
                problems[measure.Id ?? "(no id)"] = broken ?? e.Message;
            }
        }
        Measures = read.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        Problems = problems;
        _byId = Measures.ToDictionary(m => m.Id, StringComparer.Ordinal);
    }

    public MeasureDefinition? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Whether a Measure declares its criteria in our language (others, e.g. CQL-based ones, are not ours to run).</summary>
    public static bool IsDeclared(Measure measure) =>
        measure.Group.SelectMany(g => g.Population).Any(p => p.Criteria?.Language == MeasureDefinition.CriteriaLanguage);

    /// <summary>The ValueSet canonicals a Measure's criteria name (what to load before building the catalog).</summary>
    public static IEnumerable<string> ValueSetsUsedBy(Measure measure)
    {
        var canonicalBase = measure.Url is { } url && url.Contains("/Measure/", StringComparison.Ordinal) ? url[..url.IndexOf("/Measure/", StringComparison.Ordinal)] : measure.Url ?? "";
        foreach (var extension in measure.Extension.Where(e => e.Url == MeasureDefinition.CriterionExtension))
        {
            Criterion criterion;
            try { criterion = CriterionText.Parse((extension.Value as FhirString)?.Value ?? "", canonicalBase); }
            catch (FormatException) { continue; } // reported with the measure's name when the catalog is built
            foreach (var vs in criterion.ValueSets) yield return vs;
            foreach (var test in criterion.Tests)
                if (test.ValueSet is { } v) yield return v;
        }
    }

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
