using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Measures;

/// <summary>A member and the clinical resources of their record that measures may read (any order).</summary>
public sealed class Member
{
    public Patient Patient { get; }
    internal DateOnly? BirthDate { get; }
    internal IReadOnlyList<Evidence> Evidence { get; }

    public Member(Patient patient, IEnumerable<Resource> record)
    {
        Patient = patient;
        BirthDate = Measures.Evidence.Day(patient.BirthDate);
        Evidence = record.Select(Measures.Evidence.Of).OfType<Evidence>().ToList();
    }

    public string Id => Patient.Id ?? "";
}
