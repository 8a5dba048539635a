using FhirCare.CareGaps.Outreach;
using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Trust;

/// <summary>
/// What one member's trust stage is assessed from: their outreach attempts, contact preferences, and the committing
/// acts and closed gaps of their record (CarePlans, EpisodeOfCare enrolments, Appointments, Tasks, DetectedIssues).
/// </summary>
public sealed class TrustEvidence
{
    public required Patient Patient { get; init; }
    public required IReadOnlyList<OutreachAttempt> Attempts { get; init; }
    public required ContactPreferences Preferences { get; init; }
    public IReadOnlyList<CarePlan> CarePlans { get; init; } = [];
    public IReadOnlyList<EpisodeOfCare> Enrolments { get; init; } = [];
    public IReadOnlyList<Appointment> Appointments { get; init; } = [];
    public IReadOnlyList<Hl7.Fhir.Model.Task> Tasks { get; init; } = [];
    public IReadOnlyList<DetectedIssue> Gaps { get; init; } = [];

    /// <summary>Reads the evidence out of a member's record (any order, any types; the rest is ignored).</summary>
    public static TrustEvidence From(Patient patient, IEnumerable<Resource> record)
    {
        var list = record.ToList();
        return new TrustEvidence
        {
            Patient = patient,
            Attempts = list.OfType<Communication>().Select(OutreachAttempt.Of).OfType<OutreachAttempt>()
                .Where(a => a.When is not null && a.Communication.Status != EventStatus.EnteredInError).OrderBy(a => a.When).ToList(),
            Preferences = new ContactPreferences(patient, list.OfType<Consent>()),
            CarePlans = list.OfType<CarePlan>().ToList(),
            Enrolments = list.OfType<EpisodeOfCare>().ToList(),
            Appointments = list.OfType<Appointment>().ToList(),
            Tasks = list.OfType<Hl7.Fhir.Model.Task>().ToList(),
            Gaps = list.OfType<DetectedIssue>().ToList(),
        };
    }
}
