using FhirCare.CareGaps.Measures;
using FhirCare.CareGaps.Outreach;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// POST Measure/$outreach-tasks (profiles/OperationDefinition-outreach-tasks.json): runs gap detection for the members
/// in scope and stores the result as work, idempotently — a DetectedIssue per applicable gap and an outreach Task per
/// open gap, found again by their stable identifiers, so running it twice writes nothing new; a gap that closed
/// completes its Task with the evidence. Each member's changes are committed together. Answers counts.
/// </summary>
public static class OutreachTasksOperation
{
    public const string Name = "outreach-tasks";
    public const string Definition = "https://fhircare.org/fhir/OperationDefinition/outreach-tasks";

    private static readonly HashSet<string> Known = ["periodStart", "periodEnd", "subject", "practitioner", "organization", "measureId", "measureUrl", "measureIdentifier", "topic"];

    /// <summary>One run at a time on this server, so two runs cannot both create the Task of the same gap.</summary>
    private static readonly SemaphoreSlim OneRun = new(1, 1);

    public static async Task HandleAsync(HttpContext context, IFhirStore store, OutreachOperations operations, ResourceValidator validator)
    {
        var ct = context.RequestAborted;
        var shape = ResponseShape.From(context.Request);
        var measures = operations.Measures;
        var input = await OperationInput.ReadAsync(context.Request, measures.Body, ct);
        input.RequireKnown(Known, new HashSet<string> { "subjectGroup" });
        var period = MeasureRequest.Period(input);
        var options = operations.Options;
        var selected = MeasureRequest.Selected(input, await measures.Loader.LoadAsync(store, ct));
        var scope = await MemberScope.ReadAsync(input, store, measures.Registry, ct, allowGroupResource: false);
        var now = measures.Clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["members"] = 0, ["openGaps"] = 0, ["closedGaps"] = 0, ["issuesCreated"] = 0, ["issuesUpdated"] = 0, ["tasksCreated"] = 0, ["tasksCompleted"] = 0,
        };

        await OneRun.WaitAsync(ct);
        try
        {
            await measures.Evaluation.RunAsync(store, scope, selected, period, today, (_, results) => results, async results =>
            {
                counts["members"]++;
                var writes = new WriteScope(store, operations.Conditional);
                foreach (var result in results)
                {
                    if (result.GapStatus is GapStatus.OpenGap or GapStatus.ProspectiveGap) counts["openGaps"]++;
                    if (result.GapStatus == GapStatus.ClosedGap) counts["closedGaps"]++;
                    var issue = await FindAsync<DetectedIssue>(writes, GapWork.IssueIdentifier(result), ct);
                    var task = await FindAsync<FhirTask>(writes, GapWork.TaskIdentifier(result), ct);
                    var change = GapWork.Reconcile(result, issue?.Resource, task?.Resource, options.Assignment, now);
                    var issueId = issue?.Stored.Id ?? change.Issue?.Id;
                    if (change.Issue is { } i)
                    {
                        issueId = Write(writes, operations.Writes, validator, i, issue?.Stored);
                        counts[issue is null ? "issuesCreated" : "issuesUpdated"]++;
                    }
                    if (change.Task is { } t)
                    {
                        if (issueId is not null) t.Focus ??= new ResourceReference($"DetectedIssue/{issueId}");
                        Write(writes, operations.Writes, validator, t, task?.Stored);
                        counts[task is null ? "tasksCreated" : "tasksCompleted"]++;
                    }
                }
                await writes.CommitAsync(ct);
            }, ct);
        }
        finally
        {
            OneRun.Release();
        }

        var output = new Parameters();
        foreach (var (name, value) in counts) output.Add(name, new Integer(value));
        await FhirResponses.WriteResourceAsync(context, output, 200, shape);
    }

    private static async Task<(T Resource, StoredResource Stored)?> FindAsync<T>(WriteScope scope, Identifier identifier, CancellationToken ct) where T : Resource
    {
        var type = typeof(T).Name;
        var matches = await scope.FindAsync(type, $"identifier={identifier.System}|{identifier.Value}", "identifier", ct);
        if (matches.Count > 1)
            throw FhirException.Of(409, OperationOutcome.IssueType.Duplicate, $"{matches.Count} {type} resources carry identifier {identifier.System}|{identifier.Value}; it must be unique (remove the duplicates and run again)");
        return matches.Count == 0 || matches[0].Json.IsEmpty ? null : ((T)FhirResponses.ParseStored(matches[0]), matches[0]);
    }

    /// <summary>Validates and adds the next version of a resource the server made itself; returns its id.</summary>
    private static string Write(WriteScope scope, VersionedWrites writes, ResourceValidator validator, Resource resource, StoredResource? current)
    {
        validator.Check(resource);
        var id = current?.Id ?? Create.NewId();
        var (write, stored) = writes.NextVersion(resource, id, current?.Version ?? 0, current is null ? "POST" : "PUT", created: current is null);
        scope.Add(write, stored);
        return id;
    }
}
