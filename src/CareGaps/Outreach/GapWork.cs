using FhirCare.CareGaps.Measures;
using FhirCare.CareGaps.Trust;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCare.CareGaps.Outreach;

/// <summary>What reconciling one gap changed: the DetectedIssue and/or Task to write (null: leave as stored).</summary>
public sealed record GapChange(DetectedIssue? Issue, FhirTask? Task);

/// <summary>
/// Turns a member's measure results into stored work, idempotently: one DetectedIssue per (measure, member, period)
/// and one outreach Task per open gap, each with a stable identifier, so running gap detection again finds and
/// updates them instead of adding more. A gap that closes completes its Task (from any state that is not final: the
/// server's own transition, businessStatus <c>gap-closed</c>) with the evidence in Task.output. docs/outreach.md.
/// </summary>
public static class GapWork
{
    public const string GapClosed = "gap-closed";

    public static string Key(MeasureResult r) => $"{r.Measure.Id}:{r.Member.Id}:{r.Period.Start:yyyy-MM-dd}:{r.Period.End:yyyy-MM-dd}";

    public static Identifier IssueIdentifier(MeasureResult r) => new(OutreachCodes.GapIdentifierSystem, Key(r));

    public static Identifier TaskIdentifier(MeasureResult r) => new(OutreachCodes.TaskIdentifierSystem, Key(r));

    /// <summary>
    /// The changes for one result, given what is stored for it (null: nothing yet). Gaps that do not apply are not
    /// stored; an applicable result whose status did not change produces no write.
    /// </summary>
    public static GapChange Reconcile(MeasureResult r, DetectedIssue? storedIssue, FhirTask? storedTask, TaskAssignment assignment, DateTimeOffset now)
    {
        var status = r.GapStatus;
        if (status == GapStatus.NotApplicable && storedIssue is null) return new GapChange(null, null);
        var open = status is GapStatus.OpenGap or GapStatus.ProspectiveGap;
        var evidence = Evidence(r);

        DetectedIssue? issue = null;
        if (storedIssue is null || TrustAssessor.GapStatusOf(storedIssue) != status)
        {
            issue = storedIssue ?? new DetectedIssue
            {
                Identifier = [IssueIdentifier(r)],
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "CAREGAP", "Care Gaps"),
                Patient = new ResourceReference($"Patient/{r.Member.Id}"),
                Identified = new Period { Start = r.Period.Start.ToString("yyyy-MM-dd"), End = r.Period.End.ToString("yyyy-MM-dd") },
                Detail = $"{r.Measure.Title} ({r.Period.Start:yyyy-MM-dd} to {r.Period.End:yyyy-MM-dd})",
                Implicated = [new ResourceReference($"Measure/{r.Measure.Id}")],
            };
            issue.ModifierExtension = [new Extension(GapsReport.GapStatusExtension, new CodeableConcept(GapStatusCodes.System, status.Code()))];
            issue.Evidence = evidence.Count > 0 ? [new DetectedIssue.EvidenceComponent { Detail = evidence }] : [];
            if (status == GapStatus.ClosedGap)
                issue.Mitigation = [new DetectedIssue.MitigationComponent { Action = new CodeableConcept { Text = "The gap closed: the measure's numerator is met" }, DateElement = new FhirDateTime(now) }];
        }

        FhirTask? task = null;
        if (storedTask is null && open)
            task = NewTask(r, assignment, now);
        else if (storedTask is not null && status == GapStatus.ClosedGap && storedTask.Status is { } s && !TaskTransitions.IsFinal(s))
        {
            task = storedTask;
            task.Status = FhirTask.TaskStatus.Completed;
            task.BusinessStatus = new CodeableConcept(OutreachCodes.TopicSystem, GapClosed, "Gap closed");
            task.LastModifiedElement = new FhirDateTime(now);
            task.ExecutionPeriod ??= new Period();
            task.ExecutionPeriod.StartElement ??= new FhirDateTime(now);
            task.ExecutionPeriod.EndElement = new FhirDateTime(now);
            task.Output = evidence.Select(e => new FhirTask.OutputComponent { Type = new CodeableConcept { Text = "evidence" }, Value = e }).ToList();
        }
        return new GapChange(issue, task);
    }

    private static FhirTask NewTask(MeasureResult r, TaskAssignment assignment, DateTimeOffset now)
    {
        var patient = r.Member.Patient;
        var identifier = r.Measure.Measure.Identifier.FirstOrDefault();
        var owner = assignment.OwnerFor(patient, r.Measure.Id);
        return new FhirTask
        {
            Meta = new Meta { Profile = [OutreachCodes.TaskProfile] },
            Identifier = [TaskIdentifier(r)],
            Status = FhirTask.TaskStatus.Requested,
            Intent = FhirTask.TaskIntent.Order,
            Priority = TaskAssignment.PriorityFor(patient),
            Code = new CodeableConcept(OutreachCodes.TopicSystem, "care-gap", "Close a care gap"),
            Description = $"Outreach to close the {r.Measure.Title} gap ({r.Period.Start:yyyy-MM-dd} to {r.Period.End:yyyy-MM-dd})",
            For = new ResourceReference($"Patient/{r.Member.Id}"),
            AuthoredOnElement = new FhirDateTime(now),
            LastModifiedElement = new FhirDateTime(now),
            Owner = owner is null ? null : new ResourceReference(owner),
            ReasonCode = new CodeableConcept
            {
                Coding = identifier is { System: { } system, Value: { } value } ? [new Coding(system, value, r.Measure.Title)] : [],
                Text = r.Measure.Title,
            },
            ReasonReference = new ResourceReference($"Measure/{r.Measure.Id}"),
        };
    }

    /// <summary>The resources that put the member into the numerator (what closed the gap), else every evaluated one.</summary>
    private static List<ResourceReference> Evidence(MeasureResult r)
    {
        var resources = r.EvaluatedResources.Where(e => e.Resource is not Patient).ToList();
        var numerator = resources.Where(e => e.Populations.Contains("numerator")).ToList();
        return (numerator.Count > 0 ? numerator : resources).Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").Distinct()
            .Select(reference => new ResourceReference(reference)).ToList();
    }
}
