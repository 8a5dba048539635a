using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Measures.CareGapsClient;
using static FhirCare.FhirFacade.Tests.Outreach.OutreachData;
using FhirTask = Hl7.Fhir.Model.Task;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Outreach;

/// <summary>Measure/$outreach-tasks: open gaps become assigned Tasks, idempotently; a closing gap completes its Task.</summary>
public sealed class OutreachTasksTests : IDisposable
{
    private const string Period = "periodStart=2024-01-01&periodEnd=2024-12-31&measureId=breast-cancer-screening";
    private readonly FhirServer _server = FhirServer.With(new Dictionary<string, string?>
    {
        ["Outreach:Assignment:Rules:0:RiskTier"] = "high",
        ["Outreach:Assignment:Rules:0:Owner"] = "Organization/vendor-a",
        ["Outreach:Assignment:Rules:1:Condition"] = "address.state = 'MA'",
        ["Outreach:Assignment:Rules:1:Owner"] = "PractitionerRole/cm-ma",
        ["Outreach:Assignment:DefaultOwner"] = "Practitioner/cm-1",
    });
    private readonly HttpClient _http;

    public OutreachTasksTests() => _http = _server.Http();

    public void Dispose() => _server.Dispose();

    private async Task<Parameters> RunAsync(string subject) =>
        await _http.OperationAsync(HttpMethod.Post, $"Measure/$outreach-tasks?{Period}&subject={subject}");

    private async Task<List<FhirTask>> TasksAsync(string member) =>
        (await _http.FhirGetAsync($"Task?patient=Patient/{member}")).As<Bundle>().Entry.Select(e => (FhirTask)e.Resource).ToList();

    [Fact]
    public async Task Open_gaps_become_assigned_Tasks_once_and_a_closed_gap_completes_its_Task_with_the_evidence()
    {
        var high = Member(Unique("hi"), tier: "high");
        var ma = Member(Unique("ma"), tier: "low");
        ma.Address = [new Address { State = "MA" }];
        var plain = Member(Unique("pl"));
        foreach (var m in new[] { high, ma, plain }) await _http.PutAsync(m, OfficeVisit(Unique("e"), m.Id, "2024-03-05"));
        var group = new Group { Id = Unique("g"), Type = Group.GroupType.Person, Actual = true, Member = new[] { high, ma, plain }.Select(m => new Group.MemberComponent { Entity = new ResourceReference($"Patient/{m.Id}") }).ToList() };
        await _http.PutAsync(group);

        var first = await RunAsync($"Group/{group.Id}");
        Assert.Equal((3, 3, 3, 3), (first.Count("members"), first.Count("openGaps"), first.Count("issuesCreated"), first.Count("tasksCreated")));
        var again = await RunAsync($"Group/{group.Id}");
        Assert.Equal((3, 0, 0, 0), (again.Count("openGaps"), again.Count("issuesCreated"), again.Count("tasksCreated"), again.Count("issuesUpdated")));

        var task = Assert.Single(await TasksAsync(high.Id));
        Assert.Equal(FhirTask.TaskStatus.Requested, task.Status);
        Assert.Equal("Organization/vendor-a", task.Owner.Reference);
        Assert.Equal(RequestPriority.Asap, task.Priority);
        Assert.Equal("CMS125", task.ReasonCode.Coding.Single().Code);
        Assert.Equal("Measure/breast-cancer-screening", task.ReasonReference.Reference);
        Assert.StartsWith("DetectedIssue/", task.Focus.Reference);
        var issue = (await _http.FhirGetAsync(task.Focus.Reference)).As<DetectedIssue>();
        Assert.Equal($"Patient/{high.Id}", issue.Patient.Reference);
        Assert.Equal("open-gap", Status(issue));
        Assert.Equal("PractitionerRole/cm-ma", Assert.Single(await TasksAsync(ma.Id)).Owner.Reference);
        Assert.Equal(RequestPriority.Routine, Assert.Single(await TasksAsync(plain.Id)).Priority);
        Assert.Equal("Practitioner/cm-1", Assert.Single(await TasksAsync(plain.Id)).Owner.Reference);

        // the vendor works its queue with plain search
        var queue = (await _http.FhirGetAsync("Task?owner=Organization/vendor-a&status=requested&_include=Task:patient")).As<Bundle>();
        Assert.Equal([$"Task/{task.Id}", $"Patient/{high.Id}"], queue.Entry.Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}"));

        // the vendor accepts it; then the mammogram arrives and the gap closes
        task.Status = FhirTask.TaskStatus.Accepted;
        Assert.Equal(HttpStatusCode.OK, (await _http.FhirAsync(HttpMethod.Put, $"Task/{task.Id}", task)).Status);
        var mammogram = Mammogram(Unique("o"), high.Id, "2024-11-02");
        await _http.PutAsync(mammogram);
        var closing = await RunAsync($"Patient/{high.Id}");
        Assert.Equal((1, 1, 0), (closing.Count("closedGaps"), closing.Count("tasksCompleted"), closing.Count("tasksCreated")));
        var done = Assert.Single(await TasksAsync(high.Id));
        Assert.Equal(FhirTask.TaskStatus.Completed, done.Status);
        Assert.Equal("gap-closed", done.BusinessStatus.Coding.Single().Code);
        Assert.NotNull(done.ExecutionPeriod.End);
        Assert.Equal($"Observation/{mammogram.Id}", ((ResourceReference)done.Output.Single().Value).Reference);
        var closed = (await _http.FhirGetAsync(done.Focus.Reference)).As<DetectedIssue>();
        Assert.Equal("closed-gap", Status(closed));
        Assert.Equal("2", closed.Meta.VersionId);
        Assert.Equal(0, (await RunAsync($"Patient/{high.Id}")).Count("tasksCompleted"));
    }

    [Theory]
    [InlineData("Measure/$outreach-tasks?periodEnd=2024-12-31", 400, IssueType.Required, "periodStart")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-13-01&periodEnd=2024-12-31", 400, IssueType.Invalid, "periodStart")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-12-01&periodEnd=2024-01-31", 400, IssueType.Invalid, "periodEnd")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-01-01&periodEnd=2024-12-31&color=red", 400, IssueType.NotSupported, "color")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-01-01&periodEnd=2024-12-31&subject=Patient/nobody-here", 404, IssueType.NotFound, "subject")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-01-01&periodEnd=2024-12-31&subject=Observation/x", 400, IssueType.Invalid, "subject")]
    [InlineData("Measure/$outreach-tasks?periodStart=2024-01-01&periodEnd=2024-12-31&measureId=no-such-measure", 404, IssueType.NotFound, "measureId")]
    public async Task Bad_input_is_a_precise_4xx_and_writes_nothing(string url, int status, IssueType code, string expression)
    {
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, url, Wire.ToJson(new Parameters { Id = "request" })), status, code, expression);
    }
}
