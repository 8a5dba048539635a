using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Outreach;
using FhirCare.FhirFacade.Rest.Interactions;
using FhirCare.FhirFacade.Rest.Operations;
using FhirCare.FhirFacade.Security;
using Hl7.Fhir.Model;
using TypeLevel = Hl7.Fhir.Model.CapabilityStatement.TypeRestfulInteraction;
using SystemLevel = Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction;

namespace FhirCare.FhirFacade.Rest;

/// <summary>The route table: every FHIR endpoint, one line each (http.html#summary). Grep here first.</summary>
public static class FhirRoutes
{
    public static void MapFhir(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("").WithTags("FHIR").WithAccessControl(app.ServiceProvider);
        fhir.MapGet("/metadata", Capabilities.HandleAsync).WithSummary("CapabilityStatement").WithName("capabilities").AllowAnonymous();
        fhir.MapGet("/_history", History.SystemAsync).WithSummary("System history").WithMetadata(new FhirInteraction(SystemLevel: SystemLevel.HistorySystem));
        fhir.MapGet("/", SearchInteraction.SystemAsync).WithSummary("Search across types (_type)").WithMetadata(new FhirInteraction(SystemLevel: SystemLevel.SearchSystem));
        fhir.MapPost("/_search", SearchInteraction.SystemAsync).WithSummary("Search across types (form POST)").DisableAntiforgery().WithMetadata(new FhirInteraction(SystemLevel: SystemLevel.SearchSystem));
        fhir.MapPost("/", BatchTransaction.HandleAsync).WithSummary("Batch or transaction Bundle")
            .WithMetadata(new FhirInteraction(SystemLevel: SystemLevel.Transaction), new FhirInteraction(SystemLevel: SystemLevel.Batch));
        fhir.MapGet("/Patient/{id}/$everything", PatientEverything.InstanceAsync).WithSummary("A patient's whole record")
            .WithMetadata(new FhirOperation("everything", PatientEverything.Definition, "Patient"));
        fhir.MapGet("/$export", BulkExport.SystemAsync).WithSummary("Bulk Data export: all resources (kick-off)")
            .WithMetadata(new FhirOperation("export", BulkExport.SystemDefinition));
        fhir.MapGet("/Patient/$export", BulkExport.PatientAsync).WithSummary("Bulk Data export: all patients' records (kick-off)")
            .WithMetadata(new FhirOperation("export", BulkExport.PatientDefinition, "Patient"));
        fhir.MapGet("/Group/{id}/$export", BulkExport.GroupAsync).WithSummary("Bulk Data export: a group's members' records (kick-off)")
            .WithMetadata(new FhirOperation("export", BulkExport.GroupDefinition, "Group"));
        fhir.MapPost("/$export", BulkExport.SystemAsync).WithSummary("Bulk Data export: all resources (kick-off, Parameters body)")
            .WithMetadata(new FhirOperation("export", BulkExport.SystemDefinition));
        fhir.MapPost("/Patient/$export", BulkExport.PatientAsync).WithSummary("Bulk Data export: all patients' records (kick-off, Parameters body)")
            .WithMetadata(new FhirOperation("export", BulkExport.PatientDefinition, "Patient"));
        fhir.MapPost("/Group/{id}/$export", BulkExport.GroupAsync).WithSummary("Bulk Data export: a group's members' records (kick-off, Parameters body)")
            .WithMetadata(new FhirOperation("export", BulkExport.GroupDefinition, "Group"));
        fhir.MapGet("/$export-status/{id}", BulkExport.StatusAsync).WithSummary("Bulk Data export status (202 running, 200 manifest)").WithMetadata(new FhirOperation("export", BulkExport.SystemDefinition));
        fhir.MapDelete("/$export-status/{id}", BulkExport.CancelAsync).WithSummary("Cancel a Bulk Data export and delete its files").WithMetadata(new FhirOperation("export", BulkExport.SystemDefinition));
        fhir.MapGet("/$export-file/{id}/{file}", BulkExport.FileAsync).WithSummary("A Bulk Data export file (application/fhir+ndjson)").WithMetadata(new FhirOperation("export", BulkExport.SystemDefinition));
        fhir.MapGet("/Patient/$everything", PatientEverything.TypeAsync).WithSummary("Every patient's record, streamed")
            .WithMetadata(new FhirOperation("everything", PatientEverything.Definition, "Patient"));

        // Operations (operations.html); literal segments take precedence over the {type}/{id} routes below.
        fhir.MapGet("/Measure/$care-gaps", CareGapsOperation.TypeAsync).WithSummary("Da Vinci DEQM gaps in care").WithMetadata(new FhirOperation(CareGapsOperation.Name, CareGapsOperation.Definition, "Measure"));
        fhir.MapPost("/Measure/$care-gaps", CareGapsOperation.TypeAsync).WithSummary("Da Vinci DEQM gaps in care (Parameters body)").WithMetadata(new FhirOperation(CareGapsOperation.Name, CareGapsOperation.Definition, "Measure"));
        fhir.MapGet("/Measure/{id}/$care-gaps", CareGapsOperation.InstanceAsync).WithSummary("Gaps in care for one Measure").WithMetadata(new FhirOperation(CareGapsOperation.Name, CareGapsOperation.Definition, "Measure"));
        fhir.MapPost("/Measure/{id}/$care-gaps", CareGapsOperation.InstanceAsync).WithSummary("Gaps in care for one Measure (Parameters body)").WithMetadata(new FhirOperation(CareGapsOperation.Name, CareGapsOperation.Definition, "Measure"));
        fhir.MapGet("/Measure/{id}/$evaluate-measure", EvaluateMeasureOperation.HandleAsync).WithSummary("Evaluate a Measure").WithMetadata(new FhirOperation(EvaluateMeasureOperation.Name, EvaluateMeasureOperation.Definition, "Measure"));
        fhir.MapPost("/Measure/{id}/$evaluate-measure", EvaluateMeasureOperation.HandleAsync).WithSummary("Evaluate a Measure (Parameters body)").WithMetadata(new FhirOperation(EvaluateMeasureOperation.Name, EvaluateMeasureOperation.Definition, "Measure"));

        // Outreach and trust (docs/outreach.md)
        fhir.MapPost("/Measure/$outreach-tasks", OutreachTasksOperation.HandleAsync).WithSummary("Store open gaps as DetectedIssues and outreach Tasks (idempotent)").WithMetadata(new FhirOperation(OutreachTasksOperation.Name, OutreachTasksOperation.Definition, "Measure"));
        fhir.MapGet("/Measure/$scorecard", ScorecardOperation.HandleAsync).WithSummary("The plan's outreach scorecard as MeasureReports").WithMetadata(new FhirOperation(ScorecardOperation.Name, ScorecardOperation.Definition, "Measure"));
        fhir.MapPost("/Measure/$scorecard", ScorecardOperation.HandleAsync).WithSummary("The plan's outreach scorecard (Parameters body)").WithMetadata(new FhirOperation(ScorecardOperation.Name, ScorecardOperation.Definition, "Measure"));
        fhir.MapGet("/Patient/{id}/$trust-stage", TrustStageOperation.ExplainAsync).WithSummary("A member's trust stage, its evidence and the next outreach").WithMetadata(new FhirOperation(TrustStageOperation.ExplainName, TrustStageOperation.ExplainDefinition, "Patient"));
        fhir.MapPost("/Patient/{id}/$assess-trust-stage", TrustStageOperation.AssessInstanceAsync).WithSummary("Assess and record a member's trust stage").WithMetadata(new FhirOperation(TrustStageOperation.AssessName, TrustStageOperation.AssessDefinition, "Patient"));
        fhir.MapPost("/Patient/$assess-trust-stage", TrustStageOperation.AssessAllAsync).WithSummary("Assess and record every member's trust stage").WithMetadata(new FhirOperation(TrustStageOperation.AssessName, TrustStageOperation.AssessDefinition, "Patient"));
        fhir.MapGet("/Patient/{id}/$outreach-timeline", OutreachTimelineOperation.HandleAsync).WithSummary("A member's outreach timeline").WithMetadata(new FhirOperation(OutreachTimelineOperation.Name, OutreachTimelineOperation.Definition, "Patient"));

        fhir.MapGet("/{type}", SearchInteraction.TypeAsync).WithSummary("Search a type").WithMetadata(new FhirInteraction(TypeLevel.SearchType));
        fhir.MapPost("/{type}/_search", SearchInteraction.TypeAsync).WithSummary("Search a type (form POST)").DisableAntiforgery().WithMetadata(new FhirInteraction(TypeLevel.SearchType));
        fhir.MapPost("/{type}/$validate", Validate.TypeAsync).WithSummary("$validate a resource (Parameters or bare resource)").WithMetadata(new FhirOperation("validate", Validate.Definition, "*"));
        fhir.MapPost("/{type}", Create.HandleAsync).WithSummary("Create (If-None-Exist: conditional create)").WithMetadata(new FhirInteraction(TypeLevel.Create));
        fhir.MapPut("/{type}", Update.HandleConditionalAsync).WithSummary("Conditional update").WithMetadata(new FhirInteraction(TypeLevel.Update));
        fhir.MapDelete("/{type}", Delete.HandleConditionalAsync).WithSummary("Conditional delete").WithMetadata(new FhirInteraction(TypeLevel.Delete));
        fhir.MapGet("/{type}/_history", History.TypeAsync).WithSummary("Type history").WithMetadata(new FhirInteraction(TypeLevel.HistoryType));

        fhir.MapGet("/{type}/{id}", Read.HandleAsync).WithSummary("Read").WithMetadata(new FhirInteraction(TypeLevel.Read));
        fhir.MapPut("/{type}/{id}", Update.HandleAsync).WithSummary("Update or update-as-create (If-Match)").WithMetadata(new FhirInteraction(TypeLevel.Update));
        fhir.MapPatch("/{type}/{id}", Patch.HandleAsync).WithSummary("JSON Patch or FHIRPath Patch").WithMetadata(new FhirInteraction(TypeLevel.Patch));
        fhir.MapPost("/{type}/{id}/$validate", Validate.InstanceAsync).WithSummary("$validate against an existing resource (mode update/delete)").WithMetadata(new FhirOperation("validate", Validate.Definition, "*"));
        fhir.MapDelete("/{type}/{id}", Delete.HandleAsync).WithSummary("Delete (keeps history)").WithMetadata(new FhirInteraction(TypeLevel.Delete));
        fhir.MapGet("/{type}/{id}/_history", History.InstanceAsync).WithSummary("Instance history").WithMetadata(new FhirInteraction(TypeLevel.HistoryInstance));
        fhir.MapGet("/{compartment}/{id}/{type}", SearchInteraction.CompartmentAsync).WithSummary("Compartment search (Patient/[id]/[type])").WithMetadata(new FhirInteraction(TypeLevel.SearchType));
        fhir.MapGet("/{type}/{id}/_history/{vid}", VRead.HandleAsync).WithSummary("Read a version").WithMetadata(new FhirInteraction(TypeLevel.Vread));
    }

    /// <summary>Paths that are not FHIR endpoints and answer errors as ProblemDetails instead of OperationOutcome.</summary>
    public static bool IsFhirPath(PathString path) =>
        !path.StartsWithSegments("/health") && !path.StartsWithSegments("/swagger") && !path.StartsWithSegments("/auth") && !path.StartsWithSegments("/.well-known");
}
