using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Outreach.OutreachData;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Outreach;

/// <summary>A member walks the trust stages from first contact to commitment and back, over HTTP.</summary>
public sealed class TrustStageTests(FhirServer server) : IClassFixture<FhirServer>
{
    private readonly HttpClient _http = server.Http();
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static string? Stage(Parameters p) => (p.GetSingleValue<Coding>("stage"))?.Code;

    private async Task<Parameters> ExplainAsync(string id) => await _http.OperationAsync(HttpMethod.Get, $"Patient/{id}/$trust-stage");

    private async Task<Parameters> AssessAsync(string id) => await _http.OperationAsync(HttpMethod.Post, $"Patient/{id}/$assess-trust-stage");

    private async Task AddAsync(Resource resource) =>
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Put, $"{resource.TypeName}/{resource.Id}", resource)).Status);

    /// <summary>Assesses, checks the stage it gives and that it is recorded on the Patient and searchable.</summary>
    private async Task StepAsync(string member, string stage)
    {
        var assessed = await AssessAsync(member);
        Assert.Equal(stage, Stage(assessed));
        Assert.True(assessed.GetSingleValue<FhirBoolean>("changed")!.Value, $"the stage should have changed to {stage}");
        var found = (await _http.FhirGetAsync($"Patient?trust-stage={stage}&_id={member}")).As<Bundle>();
        Assert.Single(found.Entry);
        Assert.False((await AssessAsync(member)).GetSingleValue<FhirBoolean>("changed")!.Value); // assessing again changes nothing
    }

    [Fact]
    public async Task A_member_walks_from_first_contact_to_commitment_and_back()
    {
        var member = (await _http.CreateAsync(Member(Unique("m"), tier: "high"))).Id;

        var none = await ExplainAsync(member);
        Assert.Null(Stage(none));
        Assert.Equal("education", none.Parameter.Single(p => p.Name == "recommendation").Part.Single(p => p.Name == "content").Value is Coding c ? c.Code : null);
        Assert.False((await AssessAsync(member)).GetSingleValue<FhirBoolean>("changed")!.Value);

        // a call nobody answered is not contact; one answered is the first two-way contact
        await AddAsync(Attempt(member, "phone", "no-answer", Now.AddDays(-171)));
        Assert.Null(Stage(await ExplainAsync(member)));
        var first = Attempt(member, "phone", "reached", Now.AddDays(-170));
        await AddAsync(first);
        await StepAsync(member, "connection");
        var explained = await ExplainAsync(member);
        var connection = explained.Parameter.First(p => p.Name == "finding" && p.Part.Any(x => x.Name == "rule" && x.Value.ToString() == "connection"));
        Assert.Contains(connection.Part, x => x.Name == "evidence" && ((ResourceReference)x.Value).Reference == $"Communication/{first.Id}");
        Assert.Equal("connection", explained.GetSingleValue<Coding>("recordedStage")!.Code);

        await AddAsync(Attempt(member, "sms", "reached", Now.AddDays(-160), inbound: true, topic: "question"));
        await StepAsync(member, "caution");

        foreach (var days in new[] { 100, 60, 30 }) await AddAsync(Attempt(member, "phone", "reached", Now.AddDays(-days), personalised: true));
        await StepAsync(member, "consistency");
        var recommendation = (await ExplainAsync(member)).Parameter.Single(p => p.Name == "recommendation").Part;
        Assert.Equal("phone", ((Coding)recommendation.Single(p => p.Name == "channel").Value).Code);
        Assert.Equal("personalised-guidance", ((Coding)recommendation.Single(p => p.Name == "content").Value).Code);

        await AddAsync(new CarePlan
        {
            Id = Unique("cp"), Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan,
            Subject = new ResourceReference($"Patient/{member}"), Period = new Period { StartElement = new FhirDateTime(Now.AddDays(-200)) },
        });
        await StepAsync(member, "courage");

        await AddAsync(new DetectedIssue
        {
            Id = Unique("gap"), Status = ObservationStatus.Final, Patient = new ResourceReference($"Patient/{member}"),
            ModifierExtension = [new Extension("http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-gapStatus", new CodeableConcept("http://hl7.org/fhir/us/davinci-deqm/CodeSystem/gaps-status", "closed-gap"))],
            Mitigation = [new DetectedIssue.MitigationComponent { Action = new CodeableConcept { Text = "screened" }, DateElement = new FhirDateTime(Now.AddDays(-20)) }],
        });
        await StepAsync(member, "commitment");

        // a complaint steps the member back one stage
        await AddAsync(Attempt(member, "phone", "reached", Now.AddDays(-1), inbound: true, topic: "complaint"));
        await StepAsync(member, "courage");

        // the history: one change record per step, in the timeline in order with the Communications
        var timeline = (await _http.FhirGetAsync($"Patient/{member}/$outreach-timeline")).As<Bundle>();
        var changes = timeline.Entry.Select(e => e.Resource).OfType<Observation>().Select(o => ((CodeableConcept)o.Value).Coding[0].Code).ToList();
        Assert.Equal(["connection", "caution", "consistency", "courage", "commitment", "courage"], changes);
        Assert.Equal(7, timeline.Entry.Count(e => e.Resource is Communication));
        var times = timeline.Entry.Select(e => e.Resource switch
        {
            Communication c => c.Sent ?? c.Received,
            Observation o => ((FhirDateTime)o.Effective).Value,
            _ => e.Resource.Meta.LastUpdated!.Value.ToString("o"),
        }).Select(t => DateTimeOffset.Parse(t!)).ToList();
        Assert.Equal(times.Order(), times);
        var last = timeline.Entry.Select(e => e.Resource).OfType<Observation>().Last();
        Assert.Equal("commitment", ((CodeableConcept)last.Component.Single().Value).Coding[0].Code);
        Assert.Contains("complaint", last.Note.Single().Text);

        var patient = (await _http.FhirGetAsync($"Patient/{member}")).As<Patient>();
        Assert.Equal("7", patient.Meta.VersionId); // created, then six recorded changes
        var recent = (await _http.FhirGetAsync($"Patient/{member}/$outreach-timeline?end={Now.AddDays(-150):yyyy-MM-dd}")).As<Bundle>();
        Assert.Equal(["Communication", "Communication", "Communication"], recent.Entry.Select(e => e.Resource.TypeName));
        Assert.Equal("no-answer", ((Communication)recent.Entry[0].Resource).StatusReason.Coding[0].Code);
    }

    [Fact]
    public async Task Long_silence_moves_a_member_back_and_the_type_level_assessment_records_it()
    {
        var member = (await _http.CreateAsync(Member(Unique("m")))).Id;
        await AddAsync(Attempt(member, "phone", "reached", Now.AddDays(-250)));
        await AddAsync(Attempt(member, "phone", "reached", Now.AddDays(-240), inbound: true));
        var explained = await ExplainAsync(member);
        Assert.Equal("connection", Stage(explained)); // caution held, then 240 days of silence stepped it back
        Assert.Contains(explained.Parameter, p => p.Name == "finding" && p.Part.Any(x => x.Name == "rule" && x.Value.ToString() == "long-silence"));

        var all = await _http.OperationAsync(HttpMethod.Post, $"Patient/$assess-trust-stage?subject=Patient/{member}");
        Assert.Equal((1, 1), (all.Count("assessed"), all.Count("changed")));
        Assert.Single((await _http.FhirGetAsync($"Patient?trust-stage=connection&_id={member}")).As<Bundle>().Entry);
    }

    [Theory]
    [InlineData("GET", "Patient/nobody-here/$trust-stage", 404, IssueType.NotFound, null)]
    [InlineData("GET", "Patient/bad$id/$trust-stage", 400, IssueType.Invalid, null)]
    [InlineData("GET", "Patient/nobody-here/$outreach-timeline", 404, IssueType.NotFound, null)]
    [InlineData("POST", "Patient/nobody-here/$assess-trust-stage", 404, IssueType.NotFound, null)]
    [InlineData("POST", "Patient/$assess-trust-stage?subject=Patient/nobody-here", 404, IssueType.NotFound, "subject")]
    [InlineData("GET", "Patient/{member}/$trust-stage?stage=caution", 400, IssueType.NotSupported, "stage")]
    [InlineData("GET", "Patient/{member}/$outreach-timeline?start=2025-02-30", 400, IssueType.Invalid, "start")]
    [InlineData("GET", "Patient/{member}/$outreach-timeline?start=2025-03-01&end=2025-01-01", 400, IssueType.Invalid, "end")]
    public async Task Bad_input_is_a_precise_4xx(string method, string url, int status, IssueType code, string? expression)
    {
        var member = (await _http.CreateAsync(Member(Unique("m")))).Id;
        var body = method == "POST" ? Wire.ToJson(new Parameters { Id = "request" }) : null;
        await server.RefusesAsync(FhirRequest.Create(new HttpMethod(method), url.Replace("{member}", member), body), status, code, expression);
    }
}
