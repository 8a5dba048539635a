using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// One member seen by one measure over one period: answers "does criterion X hold?" once per name (memoised) and
/// remembers which resources made each criterion hold.
/// </summary>
internal sealed class MemberFacts(MeasureDefinition measure, Member member, MeasurementPeriod period)
{
    private readonly Dictionary<string, List<Resource>?> _criteria = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _populations = new(StringComparer.Ordinal);

    public string? Gender => member.Patient.Gender is { } g ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(g) : null;
    public int? AgeAtEnd => member.BirthDate is { } birth ? Age(birth, period.End) : null;

    public bool Holds(string name) =>
        measure.Criteria.TryGetValue(name, out var criterion) ? Matches(criterion) is not null : Population(name);

    public bool Population(string code)
    {
        if (_populations.TryGetValue(code, out var known)) return known;
        return _populations[code] = measure.Populations.TryGetValue(code, out var expression) && expression.Evaluate(this);
    }

    /// <summary>The resources that made the criteria named in <paramref name="expression"/> hold.</summary>
    public IEnumerable<Resource> EvidenceFor(PopulationExpression expression) =>
        expression.Names.Distinct().SelectMany(n => measure.Criteria.TryGetValue(n, out var c) ? Matches(c) ?? [] : []);

    private List<Resource>? Matches(Criterion criterion)
    {
        if (_criteria.TryGetValue(criterion.Name, out var known)) return known;
        var from = criterion.From is { } f ? period.Resolve(f) : DateOnly.MinValue;
        var to = criterion.To is { } t ? period.Resolve(t) : DateOnly.MaxValue;
        var candidates = new List<Evidence>();
        foreach (var evidence in member.Evidence)
        {
            if (evidence.Resource.TypeName != criterion.ResourceType) continue;
            if (evidence.First is not { } first || first > to || (evidence.Last ?? DateOnly.MaxValue) < from) continue;
            if (!StatusAllowed(criterion, evidence)) continue;
            if (!InAny(criterion.ValueSets, evidence.Codes)) continue;
            if (criterion.MinimumAge is { } min && (member.BirthDate is not { } birth || Age(birth, first) < min)) continue;
            candidates.Add(evidence);
        }
        List<Resource>? result;
        if (criterion.Latest)
        {
            // The most recent by the day it was taken; among same-day readings the last listed wins (stable).
            var latest = candidates.Count == 0 ? null : candidates.MaxBy(e => e.Last ?? e.First);
            result = latest is not null && criterion.Tests.All(test => Passes(test, latest)) ? [latest.Resource] : null;
        }
        else
        {
            var passing = candidates.Where(e => criterion.Tests.All(test => Passes(test, e))).Select(e => e.Resource).ToList();
            result = passing.Count > 0 ? passing : null;
        }
        return _criteria[criterion.Name] = result;
    }

    private bool InAny(IReadOnlyList<string> valueSets, IReadOnlyList<Coding> codes)
    {
        foreach (var vs in valueSets)
            if (measure.ValueSets[vs].ContainsAny(codes)) return true;
        return false;
    }

    /// <summary>Declared statuses, or the default: what counts as "done" for the type (QI-Core negation-free reading).</summary>
    private static bool StatusAllowed(Criterion criterion, Evidence evidence)
    {
        if (criterion.Statuses.Count > 0) return evidence.Status is { } s && criterion.Statuses.Contains(s);
        return evidence.Resource.TypeName switch
        {
            "Procedure" => evidence.Status == "completed",
            "Observation" or "DiagnosticReport" => evidence.Status is "final" or "amended" or "corrected" or "appended",
            "Immunization" => evidence.Status == "completed",
            "Encounter" => evidence.Status == "finished",
            "MedicationRequest" => evidence.Status is "active" or "completed",
            "MedicationStatement" => evidence.Status is "active" or "completed",
            _ => true, // Condition: refuted/entered-in-error never become evidence; active or not, its dates decide
        };
    }

    private bool Passes(EvidenceTest test, Evidence evidence)
    {
        var value = test.Component is null
            ? evidence.Value
            : evidence.Components.FirstOrDefault(c => c.Code?.Coding.Any(x => x.Code == test.Component) == true)?.Value;
        switch (test.Comparison)
        {
            case Comparison.Missing:
                return value is null;
            case Comparison.In:
                return value is CodeableConcept concept && measure.ValueSets[test.ValueSet!].ContainsAny(concept.Coding);
        }
        if (value is not Quantity { Value: { } number }) return false;
        return test.Comparison switch
        {
            Comparison.Less => number < test.Limit,
            Comparison.LessOrEqual => number <= test.Limit,
            Comparison.Greater => number > test.Limit,
            _ => number >= test.Limit,
        };
    }

    /// <summary>Whole years completed on <paramref name="on"/> (a 29 February birthday is reached on 1 March).</summary>
    internal static int Age(DateOnly birth, DateOnly on)
    {
        var years = on.Year - birth.Year;
        if (on.Month < birth.Month || (on.Month == birth.Month && on.Day < birth.Day)) years--;
        return years;
    }
}
