using FhirCare.CareGaps.Outreach;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// The outreach write rules, run by the interaction cores (create, update, patch, their conditional forms and every
/// transaction/batch entry) through <see cref="WriteScope.ApplyRulesAsync"/> before a version is added:
/// a Task's status may only move along the FHIR Task state machine (422 at Task.status); an outbound Communication on
/// a channel the member opted out of is refused (422 naming rule outreach-opt-out) unless it records a documented
/// exception; an inbound "stop" adds the opt-out Consent to the same commit. docs/outreach.md.
/// </summary>
public sealed class WriteRules(IFhirStore store, SearchParameterRegistry registry, TimeProvider clock)
{
    public const string TaskStateMachine = "task-state-machine";

    public async Task ApplyAsync(WriteScope scope, Resource resource, string id, StoredResource? current, VersionedWrites writes, CancellationToken ct)
    {
        switch (resource)
        {
            case FhirTask task when current is { Deleted: false }:
                CheckTransition(task, (FhirTask)FhirResponses.ParseStored(current));
                break;
            case Communication communication:
                communication.Id = id;
                await CheckContactAsync(scope, communication, writes, ct);
                break;
        }
    }

    private static void CheckTransition(FhirTask next, FhirTask previous)
    {
        if (previous.Status is not { } from || next.Status is not { } to || TaskTransitions.IsAllowed(from, to)) return;
        var allowed = TaskTransitions.Successors(from).Select(TaskTransitions.Code).ToList();
        throw FhirException.Of(422, OperationOutcome.IssueType.BusinessRule,
            $"Rule {TaskStateMachine}: a Task cannot go from '{TaskTransitions.Code(from)}' to '{TaskTransitions.Code(to)}'; " +
            (allowed.Count == 0 ? $"'{TaskTransitions.Code(from)}' is final" : $"from '{TaskTransitions.Code(from)}' it may go to {string.Join(", ", allowed)}"),
            "Task.status");
    }

    private async Task CheckContactAsync(WriteScope scope, Communication communication, VersionedWrites writes, CancellationToken ct)
    {
        if (OutreachAttempt.Of(communication) is not { } attempt) return;
        var preferences = new ContactPreferences(null, await ConsentsAsync(attempt.MemberId, ct));
        if (preferences.Violation(attempt) is { } violation)
            throw FhirException.Of(422, OperationOutcome.IssueType.BusinessRule,
                $"Rule {ContactPreferences.RuleOptOut}: Patient/{attempt.MemberId} opted out of contact by {violation.Channel.Code()} (Consent/{violation.Consent.Id}); " +
                $"record a documented exception (extension {OutreachCodes.ExceptionExtension}) to contact them anyway",
                "Communication.medium");
        if (preferences.OptOutFrom(attempt, clock.GetUtcNow()) is { } optOut)
        {
            var (write, stored) = writes.NextVersion(optOut, Create.NewId(), 0, "POST", created: true);
            scope.Add(write, stored);
        }
    }

    /// <summary>The member's active Consents (opt-outs are few per member; 100 is far more than any has).</summary>
    private async Task<IReadOnlyList<Consent>> ConsentsAsync(string memberId, CancellationToken ct)
    {
        var filter = new AllOf([
            new ReferenceCondition(registry.Find("Consent", "patient")!.IndexKey, "Patient", memberId, null),
            new TokenCondition(registry.Find("Consent", "status")!.IndexKey, null, "active"),
        ]);
        var page = await store.SearchAsync(new SearchQuery("Consent", filter, [], 100, 0, TotalMode.None), ct);
        return page.Matches.Select(m => (Consent)FhirResponses.ParseStored(m)).ToList();
    }
}
