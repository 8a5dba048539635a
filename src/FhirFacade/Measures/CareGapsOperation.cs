using FhirCare.CareGaps.Measures;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Measures;

/// <summary>
/// Measure/$care-gaps and Measure/[id]/$care-gaps (Da Vinci DEQM STU5, OperationDefinition care-gaps): for each member
/// in scope with at least one gap of a requested status, a Gaps in Care document Bundle, streamed as the
/// <c>return</c> parameters of a Parameters resource.
/// </summary>
public static class CareGapsOperation
{
    public const string Name = "care-gaps";
    public const string Definition = "http://hl7.org/fhir/us/davinci-deqm/OperationDefinition/care-gaps";

    private static readonly HashSet<string> Known =
        ["periodStart", "periodEnd", "topic", "subject", "subjectGroup", "practitioner", "organization", "status", "measureId", "measureIdentifier", "measureUrl", "isDocument"];
    private static readonly HashSet<string> NotSupported = ["parameters", "organizationResource", "measureResource", "measure", "manifest"];

    public static Task TypeAsync(HttpContext context, IFhirStore store, MeasureOperations operations) => RunAsync(context, null, store, operations);

    public static Task InstanceAsync(HttpContext context, string id, IFhirStore store, MeasureOperations operations) => RunAsync(context, id, store, operations);

    private static async Task RunAsync(HttpContext context, string? id, IFhirStore store, MeasureOperations operations)
    {
        var ct = context.RequestAborted;
        var shape = ResponseShape.From(context.Request);
        var input = await OperationInput.ReadAsync(context.Request, operations.Body, ct);
        input.RequireKnown(id is null ? Known : Known.Except(["measureId", "measureIdentifier", "measureUrl"]).ToHashSet(), NotSupported);
        var period = MeasureRequest.Period(input);
        var statuses = Statuses(input);
        if (input.Single("isDocument") is { } isDocument && isDocument != "true")
            throw FhirException.BadRequest(isDocument == "false" ? "isDocument=false (Bundles without a Composition) is not supported: every return is a document" : $"isDocument must be true or false, not '{isDocument}'",
                "isDocument", isDocument == "false" ? OperationOutcome.IssueType.NotSupported : OperationOutcome.IssueType.Invalid);
        var catalog = await operations.Loader.LoadAsync(store, ct);
        var measures = id is null ? MeasureRequest.Selected(input, catalog) : [await MeasureRequest.InstanceAsync(id, catalog, store, ct)];
        var scope = await MemberScope.ReadAsync(input, store, operations.Registry, ct);
        var report = new ReportContext(operations.BaseUrl.Of(context.Request), await operations.ReporterAsync(store, ct), operations.Clock.GetUtcNow());
        var today = DateOnly.FromDateTime(report.Now.UtcDateTime);

        var output = new ParametersStream(context.Response, shape);
        await operations.Evaluation.RunAsync(store, scope, measures, period, today,
            (member, results) => GapsReport.Build(member, results, statuses, report),
            bundle => bundle is null ? Task.CompletedTask : output.AddAsync("return", bundle), ct);
        await output.CompleteAsync();
    }

    private static IReadOnlySet<GapStatus> Statuses(OperationInput input)
    {
        var codes = input.All("status");
        if (codes.Count == 0) throw FhirException.BadRequest("Parameter 'status' is required (open-gap, closed-gap, prospective-gap, not-applicable)", "status", OperationOutcome.IssueType.Required);
        return codes.Select(c => GapStatusCodes.Parse(c)
            ?? throw FhirException.BadRequest($"status '{c}' is not a gaps-status code (open-gap, closed-gap, prospective-gap, not-applicable)", "status", OperationOutcome.IssueType.CodeInvalid)).ToHashSet();
    }
}

/// <summary>What the measure operations share, resolved once by DI.</summary>
public sealed class MeasureOperations(
    MeasureLoader loader, MemberEvaluation evaluation, SearchParameterRegistry registry, BaseUrl baseUrl, ResourceBody body,
    TimeProvider clock, IConfiguration configuration)
{
    public MeasureLoader Loader => loader;
    public MemberEvaluation Evaluation => evaluation;
    public SearchParameterRegistry Registry => registry;
    public BaseUrl BaseUrl => baseUrl;
    public ResourceBody Body => body;
    public TimeProvider Clock => clock;

    /// <summary>The Organization that reports (CareGaps:ReportingOrganization, default the plan published from profiles/measures).</summary>
    public async Task<Organization> ReporterAsync(IFhirStore store, CancellationToken ct)
    {
        var id = configuration["CareGaps:ReportingOrganization"] is { Length: > 0 } configured ? configured : "fhircare-plan";
        return await store.ReadAsync("Organization", id, ct) is { Deleted: false } stored
            ? (Organization)FhirResponses.ParseStored(stored)
            : new Organization { Id = id, Name = "FhirCare", Active = true };
    }
}
