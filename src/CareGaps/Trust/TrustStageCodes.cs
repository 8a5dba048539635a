using FhirCare.CareGaps.Outreach;
using Hl7.Fhir.Model;

namespace FhirCare.CareGaps.Trust;

/// <summary>
/// The trust-stage extension on a Patient, and the Observation that records each change of stage (code
/// outreach-topic#trust-stage-change, value the new stage, component previous-trust-stage the old one, the
/// trust-stage extension carrying the evidence). docs/outreach.md "Trust stages".
/// </summary>
public static class TrustStageCodes
{
    public const string ChangeCode = "trust-stage-change";
    public const string PreviousCode = "previous-trust-stage";

    public static string Code(this TrustStage stage) => stage.ToString().ToLowerInvariant();

    public static TrustStage? Parse(string? code) => code is null ? null : Enum.GetValues<TrustStage>().Where(s => s.Code() == code).Select(s => (TrustStage?)s).FirstOrDefault();

    public static int Order(string? code) => Parse(code) is { } s ? (int)s : -1;

    /// <summary>The stage recorded in the Patient's trust-stage extension, or null.</summary>
    public static string? Of(Patient patient) =>
        patient.GetExtension(OutreachCodes.TrustStageExtension)?.GetExtensionValue<Coding>("stage")?.Code;

    public static Extension Extension(TrustStage stage, DateOnly assessed, IEnumerable<string> evidence)
    {
        var extension = new Extension { Url = OutreachCodes.TrustStageExtension };
        extension.Extension.Add(new Extension("stage", new Coding(OutreachCodes.TrustStageSystem, stage.Code())));
        extension.Extension.Add(new Extension("assessed", new Date(assessed.ToString("yyyy-MM-dd"))));
        foreach (var e in evidence) extension.Extension.Add(new Extension("evidence", new ResourceReference(e)));
        return extension;
    }

    public static bool IsChange(Observation o) =>
        o.Code?.Coding.Any(c => c.System == OutreachCodes.TopicSystem && c.Code == ChangeCode) == true && o.Status != ObservationStatus.EnteredInError;

    public static (string? From, string? To) Change(Observation o) =>
        (o.Component.FirstOrDefault(c => c.Code?.Coding.Any(x => x.Code == PreviousCode) == true)?.Value is CodeableConcept from ? from.Coding.FirstOrDefault()?.Code : null,
         (o.Value as CodeableConcept)?.Coding.FirstOrDefault()?.Code);

    /// <summary>The Observation recording a change of <paramref name="patientId"/>'s stage.</summary>
    public static Observation ChangeRecord(string patientId, TrustStage? from, TrustAssessment assessment, ResourceReference assessor, DateTimeOffset now)
    {
        var to = assessment.Stage!.Value;
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept(OutreachCodes.TopicSystem, ChangeCode, "Trust stage change"),
            Subject = new ResourceReference($"Patient/{patientId}"),
            Effective = new FhirDateTime(now),
            Issued = now,
            Performer = [assessor],
            Value = new CodeableConcept(OutreachCodes.TrustStageSystem, to.Code()),
            Note = [new Annotation { Text = string.Join("\n", assessment.Findings.Where(f => f.Held || f.Rule == to.Code()).Select(f => $"{f.Rule}: {f.Explanation}")) }],
            Extension = [Extension(to, assessment.AssessedOn, assessment.Evidence)],
        };
        if (from is { } f)
            observation.Component.Add(new Observation.ComponentComponent
            {
                Code = new CodeableConcept(OutreachCodes.TopicSystem, PreviousCode, "Previous trust stage"),
                Value = new CodeableConcept(OutreachCodes.TrustStageSystem, f.Code()),
            });
        return observation;
    }
}
