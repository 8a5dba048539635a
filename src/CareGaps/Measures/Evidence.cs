using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>
/// What a measure needs to know about one clinical resource, read once: its codes, status, the days it covers and
/// its value. The only place that knows where each resource type keeps these (the eCQM QI-Core mapping: Encounter.type,
/// Immunization.vaccineCode, Observation.effective[x], Condition onset/abatement, …).
/// </summary>
internal sealed class Evidence
{
    public required Resource Resource { get; init; }
    public required IReadOnlyList<Coding> Codes { get; init; }
    public string? Status { get; init; }
    /// <summary>First and last day the resource covers; Last is null while it is still ongoing (an active Condition).</summary>
    public DateOnly? First { get; init; }
    public DateOnly? Last { get; init; }
    public DataType? Value { get; init; }
    public IReadOnlyList<Observation.ComponentComponent> Components { get; init; } = [];

    /// <summary>The resource's evidence, or null for a type measures do not read or a resource that must never count.</summary>
    public static Evidence? Of(Resource resource) => resource switch
    {
        Encounter e => new Evidence { Resource = e, Codes = Codings(e.Type), Status = Literal(e.Status), First = Day(e.Period?.Start), Last = Day(e.Period?.End ?? e.Period?.Start) },
        Procedure p => With(p, Codings(p.Code), Literal(p.Status), p.Performed),
        Observation o => With(o, Codings(o.Code), Literal(o.Status), o.Effective ?? o.IssuedElement, o.Value, o.Component),
        DiagnosticReport d => With(d, Codings(d.Code), Literal(d.Status), d.Effective ?? d.IssuedElement),
        Immunization i => With(i, Codings(i.VaccineCode), Literal(i.Status), i.Occurrence),
        MedicationRequest m => With(m, Codings(m.Medication as CodeableConcept), Literal(m.Status), m.AuthoredOnElement),
        MedicationStatement m => With(m, Codings(m.Medication as CodeableConcept), Literal(m.Status), m.Effective),
        Condition c => ConditionEvidence(c),
        _ => null,
    };

    private static Evidence? ConditionEvidence(Condition c)
    {
        var verification = c.VerificationStatus?.Coding.FirstOrDefault()?.Code;
        if (verification is "refuted" or "entered-in-error") return null;
        var (onset, _) = Span(c.Onset);
        onset ??= Day(c.RecordedDate);
        var (abatementStart, abatementEnd) = Span(c.Abatement);
        var clinical = c.ClinicalStatus?.Coding.FirstOrDefault()?.Code;
        // Resolved without a date: it covers only its onset day; still active: it runs on (null Last).
        DateOnly? last = abatementEnd ?? abatementStart ?? (clinical is "inactive" or "resolved" or "remission" ? onset : null);
        return new Evidence { Resource = c, Codes = Codings(c.Code), Status = clinical, First = onset, Last = last };
    }

    private static Evidence With(Resource r, IReadOnlyList<Coding> codes, string? status, DataType? when,
        DataType? value = null, List<Observation.ComponentComponent>? components = null)
    {
        var (first, last) = Span(when);
        return new Evidence { Resource = r, Codes = codes, Status = status, First = first, Last = last, Value = value, Components = components ?? [] };
    }

    private static (DateOnly? First, DateOnly? Last) Span(DataType? when) => when switch
    {
        FhirDateTime dt => (Day(dt.Value), Day(dt.Value)),
        Instant i => (Day(i.Value), Day(i.Value)),
        Date d => (Day(d.Value), Day(d.Value)),
        Period p => (Day(p.Start ?? p.End), Day(p.End ?? p.Start)),
        _ => (null, null),
    };

    /// <summary>The calendar day a FHIR date/dateTime/instant was written with (a partial date: its first day).</summary>
    internal static DateOnly? Day(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 4) return null;
        if (!int.TryParse(value.AsSpan(0, 4), out var year)) return null;
        var month = value.Length >= 7 && int.TryParse(value.AsSpan(5, 2), out var m) ? m : 1;
        var day = value.Length >= 10 && int.TryParse(value.AsSpan(8, 2), out var d) ? d : 1;
        try { return new DateOnly(year, month, day); }
        catch (ArgumentOutOfRangeException) { return null; }
    }

    private static DateOnly? Day(DateTimeOffset? value) => value is { } v ? DateOnly.FromDateTime(v.DateTime) : null;

    private static string? Literal<T>(T? value) where T : struct, Enum => value is { } v ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(v) : null;

    private static IReadOnlyList<Coding> Codings(CodeableConcept? concept) => concept?.Coding ?? [];

    private static IReadOnlyList<Coding> Codings(List<CodeableConcept> concepts) =>
        concepts.Count == 1 ? concepts[0].Coding : concepts.SelectMany(c => c.Coding).ToList();
}
