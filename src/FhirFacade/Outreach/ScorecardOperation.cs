using FhirCare.CareGaps.Scorecard;
using FhirCare.FhirFacade.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Outreach;

/// <summary>
/// GET or POST Measure/$scorecard (OperationDefinition scorecard): the plan's scorecard over periodStart..periodEnd as
/// one population MeasureReport per metric (the scorecard-* Measures), in a collection Bundle; optionally only some
/// metrics (measureId), stratified by risk-tier, line-of-business and/or vendor, for a subset of members (subject,
/// practitioner, organization). Members and their records are read a page at a time, so memory stays flat.
/// </summary>
public static class ScorecardOperation
{
    public const string Name = "scorecard";
    public const string Definition = "https://fhircare.org/fhir/OperationDefinition/scorecard";

    private static readonly HashSet<string> Known = ["periodStart", "periodEnd", "stratifier", "measureId", "subject", "practitioner", "organization"];

    public static async Task HandleAsync(HttpContext context, IFhirStore store, OutreachOperations operations, MemberRecords members, BaseUrl baseUrl)
    {
        var ct = context.RequestAborted;
        var shape = ResponseShape.From(context.Request);
        var input = await OperationInput.ReadAsync(context.Request, operations.Measures.Body, ct);
        input.RequireKnown(Known, new HashSet<string> { "subjectGroup" });
        var period = MeasureRequest.Period(input);
        var stratifiers = input.All("stratifier").Distinct().ToList();
        foreach (var s in stratifiers.Where(s => !Scorecard.Stratifiers.Contains(s)))
            throw FhirException.BadRequest($"stratifier '{s}' is not one of {string.Join(", ", Scorecard.Stratifiers)}", "stratifier", OperationOutcome.IssueType.CodeInvalid);
        var metrics = input.All("measureId").Select(id => ScorecardMetric.All.FirstOrDefault(m => m.Id == id)
            ?? throw FhirException.Of(404, OperationOutcome.IssueType.NotFound, $"No scorecard metric '{id}' (known: {string.Join(", ", ScorecardMetric.All.Select(m => m.Id))})", "measureId")).Distinct().ToList();
        var scope = await MemberScope.ReadAsync(input, store, operations.Measures.Registry, ct, allowGroupResource: false);

        var scorecard = new Scorecard(period.Start, period.End, stratifiers);
        await foreach (var page in members.PagesAsync(store, scope, ct))
        {
            var records = await operations.Records.LoadAsync(store, page.Select(p => p.Id).ToList(), OutreachRecords.ScorecardTypes, ct);
            foreach (var patient in page.Where(p => p.Active != false)) scorecard.Add(patient, records[patient.Id]);
        }
        var plan = await operations.PlanAsync(store, ct);
        var now = operations.Measures.Clock.GetUtcNow();
        var root = baseUrl.Of(context.Request);
        var reports = scorecard.Reports(new ResourceReference($"Organization/{plan.Id}"), now, metrics.Count > 0 ? metrics : null);
        var bundle = new Bundle
        {
            Id = Guid.CreateVersion7().ToString(),
            Type = Bundle.BundleType.Collection,
            Timestamp = now,
            Entry = reports.Select(r => new Bundle.EntryComponent { FullUrl = $"{root}/MeasureReport/{r.Id}", Resource = r }).ToList(),
        };
        await FhirResponses.WriteResourceAsync(context, bundle, 200, shape);
    }
}
