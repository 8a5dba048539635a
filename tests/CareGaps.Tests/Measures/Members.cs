using FhirCare.CareGaps.Measures;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.CareGaps.Tests.Measures;

/// <summary>The published measures (profiles/measures, copied next to the tests) and a builder for hand-made members.</summary>
public static class Measures
{
    public const string Loinc = "http://loinc.org", Snomed = "http://snomed.info/sct", Cpt = "http://www.ama-assn.org/go/cpt",
        Hcpcs = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", Icd10 = "http://hl7.org/fhir/sid/icd-10-cm", Cvx = "http://hl7.org/fhir/sid/cvx";

    public static readonly MeasurementPeriod Year2024 = new(new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31));
    public static readonly DateOnly AfterPeriod = new(2025, 3, 1);

    public static readonly MeasureCatalog Catalog = Load();

    private static MeasureCatalog Load()
    {
        var parser = new FhirJsonDeserializer();
        var resources = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "measures"), "*.json")
            .Select(f => parser.DeserializeResource(File.ReadAllText(f))).ToList();
        return new MeasureCatalog(resources.OfType<Measure>(), resources.OfType<ValueSet>());
    }

    public static GapStatus Status(string measureId, MemberBuilder member, DateOnly? today = null) => Evaluate(measureId, member, today).GapStatus;

    public static MeasureResult Evaluate(string measureId, MemberBuilder member, DateOnly? today = null) =>
        MeasureCatalog.Evaluate(Catalog.Find(measureId)!, member.Build(), Year2024, today ?? AfterPeriod);
}

public sealed class MemberBuilder
{
    private readonly Patient _patient;
    private readonly List<Resource> _record = [];
    private int _next;

    public MemberBuilder(string birthDate, AdministrativeGender gender = AdministrativeGender.Female)
    {
        _patient = new Patient { Id = "p1", BirthDate = birthDate, Gender = gender };
    }

    public static MemberBuilder Woman(string birthDate) => new(birthDate);
    public static MemberBuilder Man(string birthDate) => new(birthDate, AdministrativeGender.Male);

    public Member Build() => new(_patient, _record);

    private string Id() => $"r{++_next}";
    private static ResourceReference Subject => new("Patient/p1");

    /// <summary>An office visit (CPT 99213) on the day given; finished unless told otherwise.</summary>
    public MemberBuilder Visit(string date = "2024-05-10", string system = Measures.Cpt, string code = "99213", Encounter.EncounterStatus status = Encounter.EncounterStatus.Finished)
    {
        _record.Add(new Encounter
        {
            Id = Id(), Status = status, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = Subject,
            Type = [new CodeableConcept(system, code)], Period = new Period { Start = $"{date}T09:00:00-05:00", End = $"{date}T09:30:00-05:00" },
        });
        return this;
    }

    public MemberBuilder Procedure(string system, string code, string date, EventStatus status = EventStatus.Completed)
    {
        _record.Add(new Procedure { Id = Id(), Status = status, Subject = Subject, Code = new CodeableConcept(system, code), Performed = new FhirDateTime(date) });
        return this;
    }

    public MemberBuilder Observation(string code, string date, decimal? value = null, ObservationStatus status = ObservationStatus.Final, string unit = "%")
    {
        _record.Add(new Observation
        {
            Id = Id(), Status = status, Subject = Subject, Code = new CodeableConcept(Measures.Loinc, code), Effective = new FhirDateTime(date),
            Value = value is { } v ? new Quantity(v, unit) : null,
        });
        return this;
    }

    public MemberBuilder BloodPressure(string date, decimal systolic, decimal diastolic, ObservationStatus status = ObservationStatus.Final)
    {
        _record.Add(new Observation
        {
            Id = Id(), Status = status, Subject = Subject, Code = new CodeableConcept(Measures.Loinc, "85354-9"), Effective = new FhirDateTime(date),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept(Measures.Loinc, "8480-6"), Value = new Quantity(systolic, "mm[Hg]") },
                new Observation.ComponentComponent { Code = new CodeableConcept(Measures.Loinc, "8462-4"), Value = new Quantity(diastolic, "mm[Hg]") },
            ],
        });
        return this;
    }

    public MemberBuilder Condition(string system, string code, string onset, string? abatement = null, string verification = "confirmed")
    {
        _record.Add(new Condition
        {
            Id = Id(), Subject = Subject, Code = new CodeableConcept(system, code), Onset = new FhirDateTime(onset),
            Abatement = abatement is null ? null : new FhirDateTime(abatement),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", abatement is null ? "active" : "resolved"),
            VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification),
        });
        return this;
    }

    public MemberBuilder Immunization(string cvx, string date, Immunization.ImmunizationStatusCodes status = Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.Completed)
    {
        _record.Add(new Immunization { Id = Id(), Status = status, Patient = Subject, VaccineCode = new CodeableConcept(Measures.Cvx, cvx), Occurrence = new FhirDateTime(date) });
        return this;
    }

    public MemberBuilder Diabetic(string onset = "2015-03-01") => Condition(Measures.Snomed, "44054006", onset);
    public MemberBuilder Hospice(string date = "2024-08-01") => Visit(date, Measures.Snomed, "183920000");
    public MemberBuilder Palliative(string date = "2024-08-01") => Procedure(Measures.Snomed, "103735009", date);
    public MemberBuilder Frail(string date = "2024-04-01") => Condition(Measures.Icd10, "R54", date);
    public MemberBuilder AdvancedIllness(string date = "2023-06-01", string? abated = null) => Condition(Measures.Snomed, "26929004", date, abated);
}
