using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCare.FhirFacade.Tests.Measures.CareGapsClient;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>Measure/$care-gaps over HTTP: gaps open and close as data arrives, scopes, statuses, formats.</summary>
public sealed class CareGapsOperationTests : IClassFixture<FhirServer>
{
    private const string Period2024 = "periodStart=2024-01-01&periodEnd=2024-12-31";
    private readonly FhirServer _server;
    private readonly HttpClient _http;

    public CareGapsOperationTests(FhirServer server)
    {
        _server = server;
        _http = server.Http();
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..30];

    [Fact]
    public async Task The_measures_are_published_as_resources_and_the_operations_listed_in_the_capability_statement()
    {
        var measure = await _http.FhirGetAsync("Measure/breast-cancer-screening");
        Assert.Equal(HttpStatusCode.OK, measure.Status);
        Assert.Equal("increase", measure.As<Measure>().ImprovementNotation.Coding[0].Code);
        var byIdentifier = (await _http.FhirGetAsync("Measure?identifier=CMS122")).As<Bundle>();
        Assert.Equal("diabetes-hba1c-poor-control", Assert.Single(byIdentifier.Entry).Resource.Id);
        var all = (await _http.FhirGetAsync("Measure?_count=50")).As<Bundle>();
        Assert.Equal(8, all.Entry.Count(e => !e.Resource.Id.StartsWith("scorecard-", StringComparison.Ordinal))); // the outreach scorecard's Measures are not care gaps

        var metadata = (await _http.FhirGetAsync("metadata")).As<CapabilityStatement>();
        var ops = metadata.Rest[0].Resource.Single(r => r.Type == "Measure").Operation;
        Assert.Contains(ops, o => o.Name == "care-gaps" && o.Definition == "http://hl7.org/fhir/us/davinci-deqm/OperationDefinition/care-gaps");
        Assert.Contains(ops, o => o.Name == "evaluate-measure" && o.Definition == "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure");
    }

    [Fact]
    public async Task A_gap_closes_when_the_evidence_arrives()
    {
        var p = Unique("p");
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, "2024-03-05"));
        var query = $"{Period2024}&subject=Patient/{p}&measureId=breast-cancer-screening&status=open-gap&status=closed-gap";

        Assert.Equal("open-gap", Gaps(await _http.CareGapsAsync(query))[(p, "Breast Cancer Screening")]);
        await _http.PutAsync(Mammogram(Unique("o"), p, "2024-11-02", ObservationStatus.Preliminary));
        Assert.Equal("open-gap", Gaps(await _http.CareGapsAsync(query))[(p, "Breast Cancer Screening")]);
        await _http.PutAsync(Mammogram(Unique("o"), p, "2024-11-20"));
        Assert.Equal("closed-gap", Gaps(await _http.CareGapsAsync(query))[(p, "Breast Cancer Screening")]);
    }

    [Fact]
    public async Task Evidence_sent_as_indented_json_counts_like_any_other()
    {
        var p = Unique("p");
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, "2024-03-05"));
        var id = Unique("o");
        var pretty = System.Text.Json.Nodes.JsonNode.Parse(Wire.ToJson(Mammogram(id, p, "2024-06-01")))!
            .ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        Assert.Contains("\n", pretty);
        var put = await _http.FhirAsync(HttpMethod.Put, $"Observation/{id}", pretty, Wire.FhirJson);
        Assert.Equal(HttpStatusCode.Created, put.Status);
        var gaps = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&measureId=breast-cancer-screening&status=closed-gap"));
        Assert.Equal("closed-gap", gaps[(p, "Breast Cancer Screening")]);
    }

    [Fact]
    public async Task Only_the_requested_statuses_are_reported_and_members_without_any_get_no_document()
    {
        var p = Unique("p");
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, "2024-03-05"), Colonoscopy(Unique("c"), p, "2019-03-01"));
        var gaps = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&{AllStatuses}"));
        Assert.Equal(8, gaps.Count);
        Assert.Equal("closed-gap", gaps[(p, "Colorectal Cancer Screening")]);
        Assert.Equal("open-gap", gaps[(p, "Breast Cancer Screening")]);
        Assert.Equal("not-applicable", gaps[(p, "Diabetes: Hemoglobin A1c (HbA1c) Poor Control (> 9%)")]);

        var closedOnly = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&status=closed-gap"));
        Assert.Equal(["closed-gap"], closedOnly.Values.Distinct());
        Assert.Contains((p, "Colorectal Cancer Screening"), closedOnly.Keys);

        var man = Unique("m");
        await _http.PutAsync(Patient(man, "1960-01-01", AdministrativeGender.Male));
        var none = await _http.CareGapsAsync($"{Period2024}&subject=Patient/{man}&measureId=breast-cancer-screening&status=open-gap");
        Assert.Empty(none.Parameter);
    }

    [Fact]
    public async Task The_current_period_reports_prospective_gaps()
    {
        var p = Unique("p");
        var year = DateTime.UtcNow.Year;
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, $"{year}-01-01"));
        var gaps = Gaps(await _http.CareGapsAsync($"periodStart={year}-01-01&periodEnd={year + 1}-12-31&subject=Patient/{p}&measureId=breast-cancer-screening&{AllStatuses}"));
        Assert.Equal("prospective-gap", gaps[(p, "Breast Cancer Screening")]);
    }

    [Fact]
    public async Task Instance_level_and_measure_by_url_or_identifier()
    {
        var p = Unique("p");
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, "2024-03-05"));
        var instance = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&status=open-gap", "Measure/breast-cancer-screening/$care-gaps"));
        Assert.Equal([(p, "Breast Cancer Screening")], instance.Keys);
        var byUrl = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&status=open-gap&measureUrl=https://fhircare.org/fhir/Measure/breast-cancer-screening|12.0.000"));
        Assert.Equal([(p, "Breast Cancer Screening")], byUrl.Keys);
        var byIdentifier = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Patient/{p}&status=open-gap&measureIdentifier=CMS125&measureIdentifier=CMS130"));
        Assert.Equal(2, byIdentifier.Count);
    }

    [Fact]
    public async Task A_group_inline_or_stored_and_a_practitioners_patients()
    {
        var (a, b, c) = (Unique("a"), Unique("b"), Unique("c"));
        var doctor = Unique("dr");
        await _http.PutAsync(new Practitioner { Id = doctor });
        foreach (var id in new[] { a, b, c })
        {
            var patient = Patient(id, "1965-04-12");
            if (id != c) patient.GeneralPractitioner = [new ResourceReference($"Practitioner/{doctor}")];
            await _http.PutAsync(patient, OfficeVisit(Unique("e"), id, "2024-02-02"));
        }
        await _http.PutAsync(Mammogram(Unique("o"), b, "2024-02-02"));
        var group = new Group { Id = Unique("g"), Type = Group.GroupType.Person, Actual = true, Member = [new() { Entity = new ResourceReference($"Patient/{a}") }, new() { Entity = new ResourceReference($"Patient/{b}") }] };
        await _http.PutAsync(group);

        var stored = Gaps(await _http.CareGapsAsync($"{Period2024}&subject=Group/{group.Id}&measureId=breast-cancer-screening&{AllStatuses}"));
        Assert.Equal(new Dictionary<(string, string), string> { [(a, "Breast Cancer Screening")] = "open-gap", [(b, "Breast Cancer Screening")] = "closed-gap" }, stored);

        var posted = new Parameters();
        posted.Add("periodStart", new Date("2024-01-01"));
        posted.Add("periodEnd", new Date("2024-12-31"));
        posted.Add("status", new Code("open-gap"));
        posted.Add("measureId", new Id("breast-cancer-screening"));
        posted.Parameter.Add(new Parameters.ParameterComponent { Name = "subjectGroup", Resource = new Group { Type = Group.GroupType.Person, Actual = true, Member = [new() { Entity = new ResourceReference($"Patient/{c}") }] } });
        var reply = await _http.FhirAsync(HttpMethod.Post, "Measure/$care-gaps", posted);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal([(c, "Breast Cancer Screening")], Gaps(reply.As<Parameters>()).Keys);

        var byDoctor = Gaps(await _http.CareGapsAsync($"{Period2024}&practitioner=Practitioner/{doctor}&measureId=breast-cancer-screening&{AllStatuses}"));
        Assert.Equal([a, b], byDoctor.Keys.Select(k => k.Patient).Order());
    }

    [Fact]
    public async Task Xml_is_answered_as_a_Parameters_resource()
    {
        var p = Unique("p");
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit(Unique("e"), p, "2024-03-05"));
        var reply = await _http.FhirGetAsync($"Measure/$care-gaps?{Period2024}&subject=Patient/{p}&status=open-gap&_format=xml");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.StartsWith("application/fhir+xml", reply.Message.Content.Headers.ContentType!.ToString());
        var parameters = new FhirXmlDeserializer().Deserialize<Parameters>(reply.Body);
        Assert.NotEmpty(Gaps(parameters));
    }
}
