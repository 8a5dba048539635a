using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Outreach.OutreachData;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using FhirTask = Hl7.Fhir.Model.Task;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Outreach;

/// <summary>The outreach write rules on every write path: Task transitions and contact opt-outs.</summary>
public sealed class OutreachWriteRuleTests(FhirServer server) : IClassFixture<FhirServer>
{
    private readonly HttpClient _http = server.Http();

    private static string Transaction(string type, params (string Method, string Url, Resource Resource)[] entries) =>
        Wire.ToJson(new Bundle
        {
            Type = type == "batch" ? Bundle.BundleType.Batch : Bundle.BundleType.Transaction,
            Entry = entries.Select(e => new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = e.Resource,
                Request = new Bundle.RequestComponent { Method = Enum.Parse<Bundle.HTTPVerb>(e.Method), Url = e.Url },
            }).ToList(),
        });

    [Fact]
    public async Task A_Task_follows_the_state_machine_and_an_illegal_transition_is_422_on_every_write_path()
    {
        var member = await _http.CreateAsync(Member(Unique("m")));
        var task = await _http.CreateAsync(Work(member.Id));

        // requested -> completed skips accepted and in-progress: refused by update, conditional update, patch, transaction
        var completed = (FhirTask)task.DeepCopy();
        completed.Status = FhirTask.TaskStatus.Completed;
        completed.ExecutionPeriod = new Period { Start = "2025-01-03T10:00:00Z", End = "2025-01-03T11:00:00Z" };
        var outcome = await server.RefusesAsync(Create(HttpMethod.Put, $"Task/{task.Id}", Wire.ToJson(completed)), 422, IssueType.BusinessRule, "Task.status");
        Assert.Contains("'requested' to 'completed'", outcome.Issue[0].Diagnostics);
        Assert.Contains("received, accepted, rejected, cancelled, entered-in-error", outcome.Issue[0].Diagnostics);
        await server.RefusesAsync(Create(HttpMethod.Put, $"Task?_id={task.Id}", Wire.ToJson(completed)), 422, IssueType.BusinessRule, "Task.status");
        await server.RefusesAsync(Create(HttpMethod.Patch, $"Task/{task.Id}", """[{"op":"replace","path":"/status","value":"in-progress"}]""", Wire.JsonPatch),
            422, IssueType.BusinessRule, "Task.status");
        await server.RefusesAsync(Create(HttpMethod.Post, "", Transaction("transaction", ("PUT", $"Task/{task.Id}", completed))),
            422, IssueType.BusinessRule, "Bundle.entry[0].resource.status");
        var batch = await _http.FhirAsync(HttpMethod.Post, "", Transaction("batch", ("PUT", $"Task/{task.Id}", completed)), Wire.FhirJson);
        Assert.Equal("422 Unprocessable Entity", batch.As<Bundle>().Entry[0].Response.Status);

        // the legal path: requested -> accepted -> in-progress -> completed; then completed is final
        foreach (var status in new[] { FhirTask.TaskStatus.Accepted, FhirTask.TaskStatus.InProgress, FhirTask.TaskStatus.Completed })
        {
            completed.Status = status;
            var reply = await _http.FhirAsync(HttpMethod.Put, $"Task/{task.Id}", completed);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
        }
        completed.Status = FhirTask.TaskStatus.InProgress;
        outcome = await server.RefusesAsync(Create(HttpMethod.Put, $"Task/{task.Id}", Wire.ToJson(completed)), 422, IssueType.BusinessRule, "Task.status");
        Assert.Contains("'completed' is final", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task An_inbound_stop_records_the_opt_out_and_outreach_on_that_channel_is_refused_unless_excepted()
    {
        var member = await _http.CreateAsync(Member(Unique("m")));
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", Attempt(member.Id, "sms", "reached", now.AddMinutes(-30)))).Status);

        var stop = Attempt(member.Id, "sms", "opted-out", now.AddMinutes(-20), inbound: true, text: " stop ");
        stop.StatusReason = null;
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", stop)).Status);
        var consents = (await _http.FhirGetAsync($"Consent?patient=Patient/{member.Id}&status=active")).As<Bundle>();
        var consent = (Consent)Assert.Single(consents.Entry).Resource;
        Assert.Equal(Consent.ConsentProvisionType.Deny, consent.Provision.Type);
        Assert.Equal("sms", consent.Provision.Code.Single().Coding.Single().Code);

        // the same stop again records nothing new
        var again = Attempt(member.Id, "sms", "opted-out", now.AddMinutes(-10), inbound: true, text: "STOP");
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", again)).Status);
        Assert.Single((await _http.FhirGetAsync($"Consent?patient=Patient/{member.Id}")).As<Bundle>().Entry);

        var sms = Attempt(member.Id, "sms", "reached", now);
        var outcome = await server.RefusesAsync(Create(HttpMethod.Post, "Communication", Wire.ToJson(sms)), 422, IssueType.BusinessRule, "Communication.medium");
        Assert.Contains("outreach-opt-out", outcome.Issue[0].Diagnostics);
        Assert.Contains($"Consent/{consent.Id}", outcome.Issue[0].Diagnostics);
        await server.RefusesAsync(Create(HttpMethod.Post, "", Transaction("transaction", ("POST", "Communication", sms))), 422, IssueType.BusinessRule, "Bundle.entry[0].resource.medium");
        await server.RefusesAsync(Create(HttpMethod.Put, $"Communication/{sms.Id}", Wire.ToJson(sms)), 422, IssueType.BusinessRule, "Communication.medium");
        var batch = (await _http.FhirAsync(HttpMethod.Post, "", Transaction("batch", ("POST", "Communication", sms), ("POST", "Communication", Attempt(member.Id, "phone", "reached", now))), Wire.FhirJson)).As<Bundle>();
        Assert.Equal(["422 Unprocessable Entity", "201 Created"], batch.Entry.Select(e => e.Response.Status));

        // attempts before the opt-out, on other channels, and with a documented exception are kept
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", Attempt(member.Id, "sms", "reached", now.AddHours(-2)))).Status);
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", Attempt(member.Id, "email", "reached", now))).Status);
        sms.Extension.Add(new Extension(OutreachData.GuideBase + "/StructureDefinition/outreach-exception", new CodeableConcept(OutreachData.GuideBase + "/CodeSystem/outreach-exception", "required-notice")));
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", sms)).Status);

        // the member opts back in: the Consent is no longer active
        consent.Status = Consent.ConsentState.Inactive;
        Assert.Equal(HttpStatusCode.OK, (await _http.FhirAsync(HttpMethod.Put, $"Consent/{consent.Id}", consent)).Status);
        Assert.Equal(HttpStatusCode.Created, (await _http.FhirAsync(HttpMethod.Post, "Communication", Attempt(member.Id, "sms", "reached", now))).Status);
    }

    [Fact]
    public async Task A_stop_inside_a_transaction_is_recorded_with_it()
    {
        var member = await _http.CreateAsync(Member(Unique("m")));
        var stop = Attempt(member.Id, "phone", "opted-out", DateTimeOffset.UtcNow.AddMinutes(-5), inbound: true);
        var reply = await _http.FhirAsync(HttpMethod.Post, "", Transaction("transaction", ("POST", "Communication", stop)), Wire.FhirJson);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var consent = (Consent)Assert.Single((await _http.FhirGetAsync($"Consent?patient=Patient/{member.Id}")).As<Bundle>().Entry).Resource;
        Assert.Equal("phone", consent.Provision.Code.Single().Coding.Single().Code);
        Assert.StartsWith("Communication/", consent.Provision.Data.Single().Reference.Reference);
    }
}
