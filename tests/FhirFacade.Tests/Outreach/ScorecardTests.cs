using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Outreach.OutreachData;
using FhirTask = Hl7.Fhir.Model.Task;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Outreach;

/// <summary>Measure/$scorecard: every metric against data counted by hand (four members, the first quarter of 2025).</summary>
public sealed class ScorecardTests(FhirServer server) : IClassFixture<FhirServer>
{
    private readonly HttpClient _http = server.Http();
    private static readonly DateTimeOffset Jan1 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const double Months = 90 / 30.4375;

    private async Task<string> LoadAsync()
    {
        var (a, b, c, d) = (Member(Unique("a"), "high"), Member(Unique("b"), "high"), Member(Unique("c"), "low"), Member(Unique("d")));
        a.Extension.Add(Stage("caution"));
        c.Extension.Add(Stage("caution"));
        var ia = Attempt(a.Id, "email", "reached", Jan1.AddDays(40), inbound: true);
        var ic = Attempt(c.Id, "sms", "reached", Jan1.AddDays(59), inbound: true);
        var pcp = Work(b.Id, "pcp-appointment", FhirTask.TaskStatus.Completed, "Organization/vendor-a", Jan1.AddDays(59));
        var ride = Work(c.Id, "transportation", FhirTask.TaskStatus.Completed, "Organization/vendor-a", Jan1.AddDays(50));
        Resource[] data =
        [
            a, b, c, d,
            Attempt(a.Id, "phone", "reached", Jan1.AddDays(9), personalised: true, topic: "health-risk-assessment"),
            Attempt(a.Id, "sms", "no-answer", Jan1.AddDays(31)),
            ia, Attempt(a.Id, "email", "reached", Jan1.AddDays(40).AddHours(4), inResponseTo: ia.Id),
            Attempt(b.Id, "phone", "no-answer", Jan1.AddDays(14), topic: "health-risk-assessment"),
            ic, Attempt(c.Id, "phone", "reached", Jan1.AddDays(59).AddHours(10), inResponseTo: ic.Id),
            Attempt(d.Id, "phone", "reached", Jan1.AddDays(-17)), // before the period
            Work(a.Id, "care-gap", FhirTask.TaskStatus.InProgress, "Practitioner/cm-1"),
            Work(b.Id, "care-gap", FhirTask.TaskStatus.Requested, "Practitioner/cm-1"),
            Work(c.Id, "care-gap", FhirTask.TaskStatus.Accepted, "Practitioner/cm-2"),
            Work(d.Id, "care-gap", FhirTask.TaskStatus.Cancelled, "Practitioner/cm-3"), // cancelled: no case load
            pcp, ride,
            new EpisodeOfCare { Id = Unique("ep"), Status = EpisodeOfCare.EpisodeOfCareStatus.Active, Patient = new ResourceReference($"Patient/{a.Id}"), Period = new Period { Start = "2025-01-05" } },
            new CarePlan { Id = Unique("cp"), Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference($"Patient/{c.Id}"), Period = new Period { Start = "2024-12-01" } },
            new CarePlan { Id = Unique("cp"), Status = RequestStatus.Completed, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference($"Patient/{d.Id}"), Period = new Period { Start = "2024-06-01", End = "2024-12-31" } },
            new Coverage { Id = Unique("cov"), Status = FinancialResourceStatusCodes.Active, Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "MCAID"),
                Beneficiary = new ResourceReference($"Patient/{a.Id}"), Payor = [new ResourceReference("Organization/fhircare-plan")] },
            Change(a.Id, null, "connection", Jan1.AddDays(9)), Change(a.Id, "connection", "caution", Jan1.AddDays(40)),
            Change(c.Id, "caution", "connection", Jan1.AddDays(73)), Change(c.Id, "connection", "caution", Jan1.AddDays(100)), // after the period
        ];
        foreach (var r in data)
        {
            var written = await _http.FhirAsync(HttpMethod.Put, $"{r.TypeName}/{r.Id}", r);
            Assert.True(written.Status is HttpStatusCode.Created, written.ToString());
        }
        var group = new Group { Id = Unique("g"), Type = Group.GroupType.Person, Actual = true, Member = new[] { a, b, c, d }.Select(m => new Group.MemberComponent { Entity = new ResourceReference($"Patient/{m.Id}") }).ToList() };
        await _http.FhirAsync(HttpMethod.Put, $"Group/{group.Id}", group);
        return group.Id;
    }

    private static Extension Stage(string code)
    {
        var e = new Extension { Url = GuideBase + "/StructureDefinition/trust-stage" };
        e.Extension.Add(new Extension("stage", new Coding(GuideBase + "/CodeSystem/trust-stage", code)));
        e.Extension.Add(new Extension("assessed", new Date("2025-01-01")));
        return e;
    }

    private static Observation Change(string member, string? from, string to, DateTimeOffset at) => new()
    {
        Id = Unique("tc"), Status = ObservationStatus.Final, Code = new CodeableConcept(Topic, "trust-stage-change"),
        Subject = new ResourceReference($"Patient/{member}"), Effective = new FhirDateTime(at), Value = new CodeableConcept(GuideBase + "/CodeSystem/trust-stage", to),
        Component = from is null ? [] : [new Observation.ComponentComponent { Code = new CodeableConcept(Topic, "previous-trust-stage"), Value = new CodeableConcept(GuideBase + "/CodeSystem/trust-stage", from) }],
    };

    private static int Count(MeasureReport.GroupComponent g, string population) => g.Population.Single(p => p.Code.Coding[0].Code == population).Count!.Value;

    private static decimal? Score(MeasureReport.GroupComponent g) => g.MeasureScore?.Value;

    [Fact]
    public async Task Every_metric_matches_the_hand_count_and_strata_split_it()
    {
        var group = await LoadAsync();
        var reply = await _http.FhirGetAsync($"Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&subject=Group/{group}&stratifier=risk-tier,line-of-business&stratifier=vendor");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var reports = reply.As<Bundle>().Entry.Select(e => (MeasureReport)e.Resource).ToDictionary(r => r.Measure.Split('/')[^1]);
        Assert.Equal(11, reports.Count);
        MeasureReport.GroupComponent G(string metric, string group = "all") => reports[metric].Group.Single(g => g.Code.Text == group);

        Assert.Equal((4, 2, 0.5m), (Count(G("scorecard-contact-rate"), "denominator"), Count(G("scorecard-contact-rate"), "numerator"), Score(G("scorecard-contact-rate"))));
        Assert.Equal((4, 2, 0.5m), (Count(G("scorecard-hra-outreach"), "denominator"), Count(G("scorecard-hra-outreach"), "numerator"), Score(G("scorecard-hra-outreach"))));
        var high = G("scorecard-contact-attempts", "high-risk");
        Assert.Equal((2, 4, Math.Round((decimal)(4 / (2 * Months)), 4)), (Count(high, "denominator"), Count(high, "numerator"), Score(high)));
        var low = G("scorecard-contact-attempts", "low-risk");
        Assert.Equal((2, 1, Math.Round((decimal)(1 / (2 * Months)), 4)), (Count(low, "denominator"), Count(low, "numerator"), Score(low)));
        Assert.Equal((1, 0.25m), (Count(G("scorecard-personalised-outreach"), "numerator"), Score(G("scorecard-personalised-outreach"))));
        var caseload = G("scorecard-members-per-case-manager", "high-risk");
        Assert.Equal((2, 1, 2m), (Count(caseload, "numerator"), Count(caseload, "denominator"), Score(caseload)));
        caseload = G("scorecard-members-per-case-manager", "low-risk");
        Assert.Equal((1, 1, 1m), (Count(caseload, "numerator"), Count(caseload, "denominator"), Score(caseload)));
        Assert.Equal((2, 0.5m), (Count(G("scorecard-care-management"), "numerator"), Score(G("scorecard-care-management"))));
        Assert.Equal(1m, Score(G("scorecard-pcp-appointments")));
        Assert.Equal(1m, Score(G("scorecard-transportation")));
        var responsiveness = G("scorecard-responsiveness");
        Assert.Equal((2, 2, 0, 7m, "h"), (Count(responsiveness, "initial-population"), Count(responsiveness, "measure-population"),
            Count(responsiveness, "measure-population-exclusion"), Score(responsiveness), responsiveness.MeasureScore.Code));
        Assert.Equal([2, 0, 2, 0, 0, 0], new[] { "none", "connection", "caution", "consistency", "courage", "commitment" }
            .Select(s => Count(G("scorecard-trust-stage-distribution", s), "initial-population")));
        Assert.Equal((2, 1), (Count(G("scorecard-trust-stage-transitions", "forward"), "initial-population"), Count(G("scorecard-trust-stage-transitions", "back"), "initial-population")));
        var transitions = G("scorecard-trust-stage-transitions", "forward").Stratifier.Single(s => s.Code[0].Text == "transition");
        Assert.Equal(["connection->caution", "none->connection"], transitions.Stratum.Select(s => s.Value.Text));

        // strata: contact rate by risk tier and line of business, case load by vendor-free members
        var byTier = G("scorecard-contact-rate").Stratifier.Single(s => s.Code[0].Text == "risk-tier").Stratum.ToDictionary(s => s.Value.Text);
        Assert.Equal(["high", "low", "unknown"], byTier.Keys.Order());
        Assert.Equal((2, 1, 0.5m), (byTier["high"].Population.Single(p => p.Code.Coding[0].Code == "denominator").Count!.Value, byTier["high"].Population.Single(p => p.Code.Coding[0].Code == "numerator").Count!.Value, byTier["high"].MeasureScore.Value));
        Assert.Equal(1m, byTier["low"].MeasureScore.Value);
        Assert.Equal(0m, byTier["unknown"].MeasureScore.Value);
        var byLine = G("scorecard-care-management").Stratifier.Single(s => s.Code[0].Text == "line-of-business").Stratum.ToDictionary(s => s.Value.Text!, s => s.MeasureScore.Value);
        Assert.Equal(new Dictionary<string, decimal?> { ["MCAID"] = 1m, ["unknown"] = Math.Round(1m / 3, 4) }, byLine);
        var byVendor = G("scorecard-pcp-appointments").Stratifier.Single(s => s.Code[0].Text == "vendor").Stratum.ToDictionary(s => s.Value.Text!, s => s.MeasureScore.Value);
        Assert.Equal(new Dictionary<string, decimal?> { ["Organization/vendor-a"] = 1m }, byVendor);

        // one metric only
        var one = (await _http.FhirGetAsync($"Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&subject=Group/{group}&measureId=scorecard-contact-rate")).As<Bundle>();
        Assert.Equal("https://fhircare.org/fhir/Measure/scorecard-contact-rate", ((MeasureReport)Assert.Single(one.Entry).Resource).Measure);
        var measure = (await _http.FhirGetAsync("Measure/scorecard-contact-rate")).As<Measure>();
        Assert.Contains("two-way contact", measure.Description);
    }

    [Theory]
    [InlineData("Measure/$scorecard?periodEnd=2025-03-31", 400, IssueType.Required, "periodStart")]
    [InlineData("Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&stratifier=shoe-size", 400, IssueType.CodeInvalid, "stratifier")]
    [InlineData("Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&measureId=contact-rate", 404, IssueType.NotFound, "measureId")]
    [InlineData("Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&subject=Group/none-such", 404, IssueType.NotFound, "subject")]
    [InlineData("Measure/$scorecard?periodStart=2025-01-01&periodEnd=2025-03-31&period=q1", 400, IssueType.NotSupported, "period")]
    public async Task Bad_input_is_a_precise_4xx(string url, int status, IssueType code, string expression) =>
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, url), status, code, expression);
}
