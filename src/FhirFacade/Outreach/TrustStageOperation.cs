using FhirCare.CareGaps.Outreach;
using FhirCare.CareGaps.Trust;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// GET Patient/[id]/$trust-stage explains the member's stage: the stage the rules give today, the stage recorded on
/// the Patient, every rule's finding with its evidence and the recommended next outreach. POST
/// Patient/[id]/$assess-trust-stage (and Patient/$assess-trust-stage for every member, a page at a time) records a
/// changed stage: a new Patient version with the trust-stage extension and an Observation of the change (who, when,
/// from, to, evidence), committed together. OperationDefinitions trust-stage and assess-trust-stage.
/// </summary>
public static class TrustStageOperation
{
    public const string ExplainName = "trust-stage";
    public const string ExplainDefinition = "https://fhircare.org/fhir/OperationDefinition/trust-stage";
    public const string AssessName = "assess-trust-stage";
    public const string AssessDefinition = "https://fhircare.org/fhir/OperationDefinition/assess-trust-stage";

    public static async Task ExplainAsync(HttpContext context, string id, IFhirStore store, OutreachOperations operations)
    {
        var (shape, input, ct) = await StartAsync(context, operations);
        input.RequireKnown(new HashSet<string>(), new HashSet<string>());
        var patient = await ReadPatientAsync(store, id, ct);
        var assessment = await AssessAsync(store, operations, [patient], ct);
        await FhirResponses.WriteResourceAsync(context, Explain(patient, assessment[0]), 200, shape);
    }

    public static async Task AssessInstanceAsync(HttpContext context, string id, IFhirStore store, OutreachOperations operations)
    {
        var (shape, input, ct) = await StartAsync(context, operations);
        input.RequireKnown(new HashSet<string>(), new HashSet<string>());
        var patient = await ReadPatientAsync(store, id, ct);
        var assessment = (await AssessAsync(store, operations, [patient], ct))[0];
        var record = await RecordAsync(store, operations, patient, assessment, ct);
        var output = Explain(patient, assessment);
        output.Add("changed", new FhirBoolean(record is not null));
        if (record is not null) output.Add("change", new ResourceReference($"Observation/{record}"));
        await FhirResponses.WriteResourceAsync(context, output, 200, shape);
    }

    public static async Task AssessAllAsync(HttpContext context, IFhirStore store, OutreachOperations operations, MemberRecords members)
    {
        var (shape, input, ct) = await StartAsync(context, operations);
        input.RequireKnown(new HashSet<string> { "subject", "practitioner", "organization" }, new HashSet<string>());
        var scope = await MemberScope.ReadAsync(input, store, operations.Measures.Registry, ct, allowGroupResource: false);
        var (assessed, changed) = (0, 0);
        await foreach (var page in members.PagesAsync(store, scope, ct))
        {
            var assessments = await AssessAsync(store, operations, page, ct);
            for (var i = 0; i < page.Count; i++)
            {
                assessed++;
                if (await RecordAsync(store, operations, page[i], assessments[i], ct) is not null) changed++;
            }
        }
        var output = new Parameters();
        output.Add("assessed", new Integer(assessed));
        output.Add("changed", new Integer(changed));
        await FhirResponses.WriteResourceAsync(context, output, 200, shape);
    }

    private static async Task<(ResponseShape, OperationInput, CancellationToken)> StartAsync(HttpContext context, OutreachOperations operations)
    {
        var shape = ResponseShape.From(context.Request);
        var input = await OperationInput.ReadAsync(context.Request, operations.Measures.Body, context.RequestAborted);
        return (shape, input, context.RequestAborted);
    }

    public static async Task<Patient> ReadPatientAsync(IFhirStore store, string id, CancellationToken ct)
    {
        ResourceTypes.RequireId(id);
        var stored = await store.ReadAsync("Patient", id, ct) ?? throw FhirException.NotFound($"Patient/{id} is not known");
        if (stored.Deleted) throw Read.Gone(stored);
        return (Patient)FhirResponses.ParseStored(stored);
    }

    private static async Task<IReadOnlyList<TrustAssessment>> AssessAsync(IFhirStore store, OutreachOperations operations, IReadOnlyList<Patient> patients, CancellationToken ct)
    {
        var records = await operations.Records.LoadAsync(store, patients.Select(p => p.Id).ToList(), OutreachRecords.TrustTypes, ct);
        var today = DateOnly.FromDateTime(operations.Measures.Clock.GetUtcNow().UtcDateTime);
        var rules = operations.Options.Trust;
        return patients.Select(p => TrustAssessor.Assess(TrustEvidence.From(p, records[p.Id]), today, rules)).ToList();
    }

    /// <summary>Writes the change when the assessed stage differs from the recorded one; returns the change Observation's id, or null.</summary>
    private static async Task<string?> RecordAsync(IFhirStore store, OutreachOperations operations, Patient patient, TrustAssessment assessment, CancellationToken ct)
    {
        var recorded = TrustStageCodes.Parse(TrustStageCodes.Of(patient));
        if (assessment.Stage is not { } stage || stage == recorded) return null;
        var now = operations.Measures.Clock.GetUtcNow();
        var plan = await operations.PlanAsync(store, ct);
        var observation = TrustStageCodes.ChangeRecord(patient.Id, recorded, assessment, new ResourceReference($"Organization/{plan.Id}"), now);
        var version = int.Parse(patient.Meta?.VersionId ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        patient.Extension.RemoveAll(e => e.Url == OutreachCodes.TrustStageExtension);
        patient.Extension.Add(TrustStageCodes.Extension(stage, assessment.AssessedOn, assessment.Evidence));
        var scope = new WriteScope(store, operations.Conditional);
        var observationId = Create.NewId();
        var (w1, s1) = operations.Writes.NextVersion(patient, patient.Id, version, "PUT", created: false);
        var (w2, s2) = operations.Writes.NextVersion(observation, observationId, 0, "POST", created: true);
        scope.Add(w1, s1);
        scope.Add(w2, s2);
        try
        {
            await scope.CommitAsync(ct);
        }
        catch (VersionConflictException e)
        {
            throw FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{e.Type}/{e.Id} changed while its trust stage was assessed; try again");
        }
        return observationId;
    }

    private static Parameters Explain(Patient patient, TrustAssessment a)
    {
        var output = new Parameters();
        if (a.Stage is { } stage) output.Add("stage", new Coding(OutreachCodes.TrustStageSystem, stage.Code()));
        if (TrustStageCodes.Of(patient) is { } recorded) output.Add("recordedStage", new Coding(OutreachCodes.TrustStageSystem, recorded));
        output.Add("assessedOn", new Date(a.AssessedOn.ToString("yyyy-MM-dd")));
        foreach (var f in a.Findings)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                new() { Name = "rule", Value = new Code(f.Rule) },
                new() { Name = "held", Value = new FhirBoolean(f.Held) },
                new() { Name = "explanation", Value = new FhirString(f.Explanation) },
            };
            parts.AddRange(f.Evidence.Select(e => new Parameters.ParameterComponent { Name = "evidence", Value = new ResourceReference(e) }));
            output.Parameter.Add(new Parameters.ParameterComponent { Name = "finding", Part = parts });
        }
        var r = a.Recommendation;
        var next = new List<Parameters.ParameterComponent>
        {
            new() { Name = "before", Value = new Date(r.Before.ToString("yyyy-MM-dd")) },
            new() { Name = "content", Value = new Coding(OutreachCodes.TopicSystem, r.Content) },
            new() { Name = "description", Value = new FhirString(r.Description) },
        };
        if (r.Channel is { } channel) next.Insert(0, new Parameters.ParameterComponent { Name = "channel", Value = channel.Coding() });
        output.Parameter.Add(new Parameters.ParameterComponent { Name = "recommendation", Part = next });
        return output;
    }
}
