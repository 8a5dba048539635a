using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>Bad input to the measure operations: a precise 4xx OperationOutcome naming the parameter, and nothing changes.</summary>
public sealed class MeasureOperationErrorTests : IClassFixture<FhirServer>
{
    private const string Good = "periodStart=2024-01-01&periodEnd=2024-12-31&status=open-gap";
    private readonly FhirServer _server;

    public MeasureOperationErrorTests(FhirServer server) => _server = server;

    public static TheoryData<string, int, IssueType, string> CareGaps => new()
    {
        { "periodEnd=2024-12-31&status=open-gap", 400, IssueType.Required, "periodStart" },
        { "periodStart=2024-01-01&status=open-gap", 400, IssueType.Required, "periodEnd" },
        { "periodStart=2024-13-01&periodEnd=2024-12-31&status=open-gap", 400, IssueType.Invalid, "periodStart" },
        { "periodStart=01/01/2024&periodEnd=2024-12-31&status=open-gap", 400, IssueType.Invalid, "periodStart" },
        { "periodStart=2024-01-01&periodEnd=2024-02-30&status=open-gap", 400, IssueType.Invalid, "periodEnd" },
        { "periodStart=2024-06-01&periodEnd=2024-05-31&status=open-gap", 400, IssueType.Invalid, "periodEnd" },
        { "periodStart=2024-01-01&periodStart=2024-02-01&periodEnd=2024-12-31&status=open-gap", 400, IssueType.Invalid, "periodStart" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31", 400, IssueType.Required, "status" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&status=open", 400, IssueType.CodeInvalid, "status" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&status=", 400, IssueType.Invalid, "status" },
        { $"{Good}&measureId=no-such-measure", 404, IssueType.NotFound, "measureId" },
        { $"{Good}&measureUrl=https://fhircare.org/fhir/Measure/nothing", 404, IssueType.NotFound, "measureUrl" },
        { $"{Good}&measureIdentifier=CMS999", 404, IssueType.NotFound, "measureIdentifier" },
        { $"{Good}&topic=no-such-topic", 404, IssueType.NotFound, "topic" },
        { $"{Good}&subject=Patient/does-not-exist", 404, IssueType.NotFound, "subject" },
        { $"{Good}&subject=Group/does-not-exist", 404, IssueType.NotFound, "subject" },
        { $"{Good}&subject=Observation/x", 400, IssueType.Invalid, "subject" },
        { $"{Good}&subject=Patient", 400, IssueType.Invalid, "subject" },
        { $"{Good}&practitioner=Practitioner/nobody", 404, IssueType.NotFound, "practitioner" },
        { $"{Good}&organization=Patient/x", 400, IssueType.Invalid, "organization" },
        { $"{Good}&subject=Patient/x&practitioner=Practitioner/y", 400, IssueType.Invalid, "practitioner" },
        { $"{Good}&color=blue", 400, IssueType.NotSupported, "color" },
        { $"{Good}&manifest=https://example.org/Library/x", 400, IssueType.NotSupported, "manifest" },
        { $"{Good}&isDocument=false", 400, IssueType.NotSupported, "isDocument" },
        { $"{Good}&isDocument=maybe", 400, IssueType.Invalid, "isDocument" },
    };

    [Theory]
    [MemberData(nameof(CareGaps))]
    public async Task Care_gaps_refuses(string query, int status, IssueType code, string parameter) =>
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/$care-gaps?{query}"), status, code, parameter);

    [Fact]
    public async Task Care_gaps_on_an_unknown_or_non_declarative_measure()
    {
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/nothing-here/$care-gaps?{Good}"), 404, IssueType.NotFound);
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/breast-cancer-screening/$care-gaps?{Good}&measureId=x"), 400, IssueType.NotSupported, "measureId");
        var cql = new Measure
        {
            Id = "cql-only", Url = "https://example.org/Measure/cql-only", Status = PublicationStatus.Active,
            Scoring = new CodeableConcept("http://terminology.hl7.org/CodeSystem/measure-scoring", "proportion"),
            Group = [new() { Population = [new() { Code = new CodeableConcept("http://terminology.hl7.org/CodeSystem/measure-population", "initial-population"), Criteria = new Expression { Language = "text/cql-identifier", Expression_ = "Initial Population" } }] }],
        };
        var put = await _server.Http().FhirAsync(HttpMethod.Put, "Measure/cql-only", cql);
        Assert.Equal(HttpStatusCode.Created, put.Status);
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/cql-only/$care-gaps?{Good}"), 422, IssueType.NotSupported);
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, "Measure/cql-only/$evaluate-measure?periodStart=2024-01-01&periodEnd=2024-12-31"), 422, IssueType.NotSupported);
    }

    [Fact]
    public async Task A_measure_with_a_broken_criterion_is_refused_by_name_and_the_others_still_run()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "profiles", "measures", "Measure-annual-wellness-visit.json"))
            .Replace("\"id\": \"annual-wellness-visit\"", "\"id\": \"broken-awv\"")
            .Replace("https://fhircare.org/fhir/Measure/annual-wellness-visit", "https://fhircare.org/fhir/Measure/broken-awv")
            .Replace("Encounter in ValueSet/wellness-visit", "Encounter in ValueSet/no-such-value-set");
        var put = await _server.Http().FhirAsync(HttpMethod.Put, "Measure/broken-awv", json, Wire.FhirJson);
        Assert.Equal(HttpStatusCode.Created, put.Status);
        var outcome = await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/$care-gaps?{Good}&measureId=broken-awv"), 422, IssueType.Processing, "measureId");
        Assert.Contains("no-such-value-set", outcome.Issue[0].Diagnostics);
        var ok = await _server.Http().FhirGetAsync($"Measure/$care-gaps?{Good}&measureId=annual-wellness-visit&subject=Patient/x-none");
        Assert.Equal(HttpStatusCode.NotFound, ok.Status); // the unknown subject is what is wrong, not the catalog
    }

    public static TheoryData<string, int, IssueType, string> Evaluate => new()
    {
        { "periodEnd=2024-12-31", 400, IssueType.Required, "periodStart" },
        { "periodStart=2024-01-01&periodEnd=2023-12-31", 400, IssueType.Invalid, "periodEnd" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&reportType=everything", 400, IssueType.CodeInvalid, "reportType" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&reportType=subject", 400, IssueType.Invalid, "reportType" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&subject=Patient/none", 404, IssueType.NotFound, "subject" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&status=open-gap", 400, IssueType.NotSupported, "status" },
        { "periodStart=2024-01-01&periodEnd=2024-12-31&lastReceivedOn=2024-01-01", 400, IssueType.NotSupported, "lastReceivedOn" },
    };

    [Theory]
    [MemberData(nameof(Evaluate))]
    public async Task Evaluate_measure_refuses(string query, int status, IssueType code, string parameter) =>
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, $"Measure/breast-cancer-screening/$evaluate-measure?{query}"), status, code, parameter);

    [Fact]
    public async Task Evaluate_measure_on_an_unknown_measure_is_404() =>
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, "Measure/none/$evaluate-measure?periodStart=2024-01-01&periodEnd=2024-12-31"), 404, IssueType.NotFound);

    [Fact]
    public async Task A_post_body_must_be_Parameters()
    {
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "Measure/$care-gaps", FhirRequest.PatientJson()), 400, IssueType.Structure);
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "Measure/$care-gaps", """{"resourceType":"Parameters","parameter":[{"name":"periodStart","valueDate":"2024-01-01"},{"name":"periodEnd","valueDate":"2024-12-31"},{"name":"status","valueCode":"open-gap"},{"name":"subjectGroup","valueString":"x"}]}"""), 400, IssueType.Invalid, "subjectGroup");
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "Measure/$care-gaps", """{"resourceType":"Parameters","parameter":[{"name":"periodStart","valueDate":"2024-01-01"},{"name":"periodEnd","valueDate":"2024-12-31"}]}"""), 400, IssueType.Required, "status");
    }
}
