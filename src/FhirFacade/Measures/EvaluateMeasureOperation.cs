using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Measure/[id]/$evaluate-measure (R4 OperationDefinition Measure-evaluate-measure): an individual MeasureReport for one
/// Patient, or a summary (population) or subject-list report over a Group, a practitioner's patients or every member.
/// </summary>
public static class EvaluateMeasureOperation
{
    public const string Name = "evaluate-measure";
    public const string Definition = "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure";

    private static readonly HashSet<string> Known = ["periodStart", "periodEnd", "reportType", "subject", "practitioner"];
    private static readonly HashSet<string> NotSupported = ["measure", "lastReceivedOn", "productLine"];

    public static async Task HandleAsync(HttpContext context, string id, IFhirStore store, MeasureOperations operations)
    {
        var ct = context.RequestAborted;
        var shape = ResponseShape.From(context.Request);
        var input = await OperationInput.ReadAsync(context.Request, operations.Body, ct);
        input.RequireKnown(Known, NotSupported);
        var period = MeasureRequest.Period(input);
        var reportType = input.Single("reportType");
        if (reportType is not (null or "subject" or "individual" or "subject-list" or "population"))
            throw FhirException.BadRequest($"reportType must be subject (individual), subject-list or population, not '{reportType}'", "reportType", OperationOutcome.IssueType.CodeInvalid);
        var catalog = await operations.Loader.LoadAsync(store, ct);
        var measure = await MeasureRequest.InstanceAsync(id, catalog, store, ct);
        var scope = await MemberScope.ReadAsync(input, store, operations.Registry, ct, allowGroupResource: false);
        reportType ??= scope is MemberScope.OnePatient ? "subject" : "population";
        var reporter = (await operations.ReporterAsync(store, ct));
        var now = operations.Clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var reporterRef = new ResourceReference($"Organization/{reporter.Id}");

        MeasureReport report;
        if (reportType is "subject" or "individual")
        {
            if (scope is not MemberScope.OnePatient)
                throw FhirException.BadRequest("An individual report (reportType=subject) needs subject=Patient/[id]", "reportType");
            MeasureResult? result = null;
            await operations.Evaluation.RunAsync(store, scope, [measure], period, today, (_, results) => results[0], r => { result = r; return Task.CompletedTask; }, ct);
            report = MeasureReports.Individual(result!, Guid.CreateVersion7().ToString(), reporterRef, now);
        }
        else
        {
            var population = new PopulationReport(measure, period, subjectList: reportType == "subject-list");
            await operations.Evaluation.RunAsync(store, scope, [measure], period, today, (_, results) => results[0], r => { population.Add(r); return Task.CompletedTask; }, ct);
            report = population.Build(Guid.CreateVersion7().ToString(), reporterRef, now);
        }
        await FhirResponses.WriteResourceAsync(context, report, 200, shape);
    }
}
