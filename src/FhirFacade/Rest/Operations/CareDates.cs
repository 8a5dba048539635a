using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Search.Parameters;

namespace FhirCare.FhirFacade.Rest.Operations;

/// <summary>
/// The care date of each Patient-compartment type, for $everything's <c>start</c>/<c>end</c>
/// (patient-operation-everything.html: "the date range relates to care dates, not record currency dates"). Per type
/// one date search parameter decides: the spec's <c>clinical-date</c> parameter (<c>date</c>) where the type has it,
/// otherwise the type's own date of care (when it was done, given, taken, authored or billed). A resource with no
/// value for it is included, as are types with no care date at all (Patient, Coverage, Device…).
/// </summary>
public sealed class CareDates(SearchParameterRegistry registry)
{
    /// <summary>Types whose care date is not the clinical-date parameter <c>date</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> OwnParameter = new Dictionary<string, string>
    {
        ["Account"] = "period",
        ["AdverseEvent"] = "date",
        ["Basic"] = "created",
        ["ChargeItem"] = "occurrence",
        ["Claim"] = "created",
        ["ClaimResponse"] = "created",
        ["Communication"] = "sent",
        ["CommunicationRequest"] = "authored",
        ["Condition"] = "onset-date",
        ["CoverageEligibilityRequest"] = "created",
        ["CoverageEligibilityResponse"] = "created",
        ["DetectedIssue"] = "identified",
        ["DeviceRequest"] = "event-date",
        ["DocumentManifest"] = "created",
        ["DocumentReference"] = "date",
        ["EnrollmentRequest"] = "",
        ["ExplanationOfBenefit"] = "created",
        ["Goal"] = "start-date",
        ["ImagingStudy"] = "started",
        ["ImmunizationEvaluation"] = "date",
        ["ImmunizationRecommendation"] = "date",
        ["Invoice"] = "date",
        ["Media"] = "created",
        ["MeasureReport"] = "period",
        ["MedicationAdministration"] = "effective-time",
        ["MedicationDispense"] = "whenhandedover",
        ["MedicationRequest"] = "authoredon",
        ["MedicationStatement"] = "effective",
        ["NutritionOrder"] = "datetime",
        ["Provenance"] = "recorded",
        ["QuestionnaireResponse"] = "authored",
        ["RequestGroup"] = "authored",
        ["ResearchSubject"] = "date",
        ["ServiceRequest"] = "authored",
        ["Specimen"] = "collected",
        ["SupplyRequest"] = "date",
        ["Task"] = "period",
        ["VisionPrescription"] = "datewritten",
    };

    private const string ClinicalDate = "http://hl7.org/fhir/SearchParameter/clinical-date";

    /// <summary>The search parameter whose value is the type's care date, or null when the type has none.</summary>
    public SearchParameterDefinition? For(string type)
    {
        if (OwnParameter.TryGetValue(type, out var code))
            return code.Length == 0 ? null : registry.Find(type, code);
        var date = registry.Find(type, "date");
        return date?.Url == ClinicalDate ? date : null;
    }

    /// <summary>
    /// Resources of <paramref name="type"/> whose care date overlaps [<paramref name="from"/>, <paramref name="to"/>]
    /// (UTC ticks, inclusive; null: open), or that have no care date; null when every resource of the type qualifies.
    /// </summary>
    public SearchExpression? Filter(string type, long? from, long? to)
    {
        if (from is null && to is null || For(type) is not { } parameter) return null;
        var key = parameter.IndexKey;
        var overlap = new List<SearchExpression>();
        // Overlap of the stored range [s, e] with [from, to]: e >= from and s <= to (gt/lt on a one-tick value).
        if (from is { } f) overlap.Add(new DateCondition(key, Comparator.Gt, f - 1, f - 1));
        if (to is { } t) overlap.Add(new DateCondition(key, Comparator.Lt, t + 1, t + 1));
        return new AnyOf([new MissingCondition(key, IndexKind.Date, Missing: true), overlap.Count == 1 ? overlap[0] : new AllOf(overlap)]);
    }

    /// <summary>A <c>start</c> or <c>end</c> value (type date: YYYY, YYYY-MM or YYYY-MM-DD) as its range of UTC ticks.</summary>
    public static (long Start, long End) ParseDate(string name, string? value)
    {
        if (value is null || value.Length is not (4 or 7 or 10) || !DateParameter.TryRange(value, out var start, out var end))
            throw FhirException.BadRequest($"{name} must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not '{value}'", name);
        return (start, end);
    }
}
