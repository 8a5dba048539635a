using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Measures.CareGapsClient;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>Measure/[id]/$evaluate-measure: individual, subject-list and population reports.</summary>
public sealed class EvaluateMeasureTests : IClassFixture<FhirServer>
{
    private const string Period = "periodStart=2024-01-01&periodEnd=2024-12-31";
    private readonly HttpClient _http;

    public EvaluateMeasureTests(FhirServer server) => _http = server.Http();

    private async Task<MeasureReport> EvaluateAsync(string query)
    {
        var reply = await _http.FhirGetAsync($"Measure/breast-cancer-screening/$evaluate-measure?{Period}&{query}");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.As<MeasureReport>();
    }

    private static int Count(MeasureReport report, string population) =>
        report.Group[0].Population.Single(p => p.Code.Coding[0].Code == population).Count!.Value;

    [Fact]
    public async Task Individual_subject_list_and_population_over_a_group()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        string Id(string s) => $"{s}-{tag}";
        await _http.PutAsync(
            Patient(Id("screened"), "1965-01-01"), OfficeVisit(Id("e1"), Id("screened"), "2024-02-01"), Mammogram(Id("m1"), Id("screened"), "2023-11-01"),
            Patient(Id("due"), "1966-01-01"), OfficeVisit(Id("e2"), Id("due"), "2024-02-01"),
            Patient(Id("young"), "1990-01-01"), OfficeVisit(Id("e3"), Id("young"), "2024-02-01"),
            Patient(Id("hospice"), "1960-01-01"), OfficeVisit(Id("e4"), Id("hospice"), "2024-02-01"),
            new Procedure { Id = Id("h"), Status = EventStatus.Completed, Subject = new ResourceReference($"Patient/{Id("hospice")}"), Code = new CodeableConcept("http://snomed.info/sct", "385763009"), Performed = new FhirDateTime("2024-05-01") });
        var group = new Group { Id = Id("g"), Type = Group.GroupType.Person, Actual = true, Member = new[] { "screened", "due", "young", "hospice" }.Select(m => new Group.MemberComponent { Entity = new ResourceReference($"Patient/{Id(m)}") }).ToList() };
        await _http.PutAsync(group);

        var individual = await EvaluateAsync($"subject=Patient/{Id("screened")}");
        Assert.Equal(MeasureReport.MeasureReportType.Individual, individual.Type);
        Assert.Equal($"Patient/{Id("screened")}", individual.Subject.Reference);
        Assert.Equal(1, Count(individual, "numerator"));
        Assert.Contains(individual.EvaluatedResource, r => r.Reference == $"Observation/{Id("m1")}");
        Assert.Equal("https://fhircare.org/fhir/Measure/breast-cancer-screening|12.0.000", individual.Measure);

        var summary = await EvaluateAsync($"subject=Group/{group.Id}&reportType=population");
        Assert.Equal(MeasureReport.MeasureReportType.Summary, summary.Type);
        Assert.Equal(3, Count(summary, "initial-population"));
        Assert.Equal(3, Count(summary, "denominator"));
        Assert.Equal(1, Count(summary, "denominator-exclusion"));
        Assert.Equal(1, Count(summary, "numerator"));
        Assert.Equal(0.5m, summary.Group[0].MeasureScore.Value);

        var list = await EvaluateAsync($"subject=Group/{group.Id}&reportType=subject-list");
        Assert.Equal(MeasureReport.MeasureReportType.SubjectList, list.Type);
        var numerator = list.Group[0].Population.Single(p => p.Code.Coding[0].Code == "numerator");
        var members = list.Contained.OfType<List>().Single(l => "#" + l.Id == numerator.SubjectResults.Reference);
        Assert.Equal([$"Patient/{Id("screened")}"], members.Entry.Select(e => e.Item.Reference));
        var excluded = list.Contained.OfType<List>().Single(l => "#" + l.Id == list.Group[0].Population.Single(p => p.Code.Coding[0].Code == "denominator-exclusion").SubjectResults.Reference);
        Assert.Equal([$"Patient/{Id("hospice")}"], excluded.Entry.Select(e => e.Item.Reference));
    }

    [Fact]
    public async Task All_members_in_a_server_of_their_own()
    {
        using var server = new FhirServer();
        var http = server.Http();
        for (var i = 0; i < 70; i++) // more than one page of members
        {
            await http.PutAsync(Patient($"m{i}", "1965-01-01"), OfficeVisit($"e{i}", $"m{i}", "2024-02-01"));
            if (i % 7 == 0) await http.PutAsync(Mammogram($"o{i}", $"m{i}", "2024-03-01"));
        }
        var reply = await http.FhirGetAsync($"Measure/breast-cancer-screening/$evaluate-measure?{Period}");
        var report = reply.As<MeasureReport>();
        Assert.Equal(70, Count(report, "initial-population"));
        Assert.Equal(10, Count(report, "numerator"));

        var gaps = Gaps(await http.CareGapsAsync($"{Period}&measureId=breast-cancer-screening&status=open-gap"));
        Assert.Equal(60, gaps.Count);
        Assert.DoesNotContain(("m7", "Breast Cancer Screening"), gaps.Keys);
    }
}
