using System.Net;
using System.Text;
using FhirCare.FhirFacade.Audit;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Audit;

/// <summary>
/// Every FHIR request leaves exactly one AuditEvent (BALP shape), stored before its response: successes, 4xx
/// failures, a transaction, a batch and an operation; AuditEvents cannot be written through the API and are searchable.
/// </summary>
public sealed class AuditTrailTests : IDisposable
{
    private const string App = "client_id=care-app; sub=nurse-7; scope=user/*.cruds";
    private readonly FhirServer _server = FhirServer.With(new Dictionary<string, string?>(), TestIdentity.Register);
    private readonly HttpClient _http;

    public AuditTrailTests() => _http = _server.Http();

    public void Dispose() => _server.Dispose();

    private sealed record Expected(string? Subtype, AuditEvent.AuditEventOutcome Outcome, AuditEvent.AuditEventAction Action, string? Entity = null, string? Patient = null);

    [Fact]
    public async Task Every_request_has_exactly_one_audit_event_stored_before_it_answers()
    {
        var expected = new List<Expected>();
        async Task<HttpResponseMessage> Send(HttpRequestMessage request, Expected e)
        {
            var response = await _http.SendAsync(TestIdentity.As(request, App));
            expected.Add(e);
            Assert.Equal(expected.Count, AuditRows()); // stored before the client saw the answer
            return response;
        }
        var ok = AuditEvent.AuditEventOutcome.N0;
        var failed = AuditEvent.AuditEventOutcome.N4;
        var (C, R, U, D, E) = (AuditEvent.AuditEventAction.C, AuditEvent.AuditEventAction.R, AuditEvent.AuditEventAction.U, AuditEvent.AuditEventAction.D, AuditEvent.AuditEventAction.E);

        var created = await Send(FhirRequest.Create(HttpMethod.Post, "/Patient",
            """{"resourceType":"Patient","name":[{"family":"Okafor","given":["Ada"]}],"birthDate":"1950-01-01"}"""), new("create", ok, C));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = created.Headers.Location!.Segments[^3].TrimEnd('/');
        expected[^1] = expected[^1] with { Entity = $"Patient/{id}/_history/1", Patient = id };

        await Send(FhirRequest.Create(HttpMethod.Get, $"/Patient/{id}"), new("read", ok, R, $"Patient/{id}/_history/1", id));
        await Send(FhirRequest.Create(HttpMethod.Put, $"/Patient/{id}", FhirRequest.PatientJson(id, "male")), new("update", ok, U, $"Patient/{id}/_history/2", id));
        await Send(FhirRequest.Create(HttpMethod.Patch, $"/Patient/{id}", """[{"op":"add","path":"/active","value":true}]""", FhirRequest.JsonPatch),
            new("patch", ok, U, $"Patient/{id}/_history/3", id));
        await Send(FhirRequest.Create(HttpMethod.Get, $"/Patient/{id}/_history/1"), new("vread", ok, R, $"Patient/{id}/_history/1", id));
        await Send(FhirRequest.Create(HttpMethod.Get, $"/Patient/{id}/_history"), new("history-instance", ok, R, $"Patient/{id}", id));
        await Send(FhirRequest.Create(HttpMethod.Get, "/Patient?family=Okafor&birthdate=1950-01-01"), new("search-type", ok, R));
        await Send(FhirRequest.Create(HttpMethod.Get, $"/Observation?subject=Patient/{id}"), new("search-type", ok, R, Patient: id));
        await Send(FhirRequest.Create(HttpMethod.Get, "/metadata"), new("capabilities", ok, R));
        await Send(FhirRequest.Create(HttpMethod.Get, $"/Patient/{id}/$everything"), new("operation", ok, E, $"Patient/{id}", id));
        await Send(FhirRequest.Create(HttpMethod.Post, "/", Bundle("transaction")), new("transaction", ok, E));
        await Send(FhirRequest.Create(HttpMethod.Post, "/", Bundle("batch")), new("batch", ok, E));
        // failures
        await Send(FhirRequest.Create(HttpMethod.Get, "/Patient/does-not-exist"), new("read", failed, R, "Patient/does-not-exist", "does-not-exist"));
        await Send(FhirRequest.Create(HttpMethod.Post, "/Patient", """{"resourceType":"Patient","gender":"robot"}"""), new("create", failed, C));
        await Send(FhirRequest.Create(HttpMethod.Get, "/Patient?birthdate=notadate"), new("search-type", failed, R));
        await Send(FhirRequest.Create(HttpMethod.Get, "/NotAType/1"), new("read", failed, R));
        await Send(FhirRequest.Create(HttpMethod.Delete, $"/Patient/{id}"), new("delete", ok, D, $"Patient/{id}/_history/4", id));

        var events = await AuditEventsAsync("");
        Assert.Equal(expected.Count, events.Count);
        var actual = events.Select(a => new Expected(
                a.Subtype.FirstOrDefault(c => c.System == AuditRecord.InteractionSystem)?.Code, a.Outcome!.Value, a.Action!.Value,
                a.Entity.FirstOrDefault(x => x.Role?.Code == "4")?.What?.Reference, a.Entity.FirstOrDefault(x => x.Role?.Code == "1")?.What?.Reference?["Patient/".Length..]))
            .OrderBy(x => x.ToString(), StringComparer.Ordinal).ToList();
        Assert.Equal(expected.OrderBy(x => x.ToString(), StringComparer.Ordinal).ToList(), actual);

        foreach (var a in events)
        {
            Assert.Equal("rest", a.Type.Code);
            Assert.Equal("http://terminology.hl7.org/CodeSystem/audit-event-type", a.Type.System);
            var client = a.Agent.Single(x => x.Type.Coding[0].Code == "110153");
            Assert.Equal("care-app", client.Who.Identifier.Value);
            Assert.Equal("nurse-7", a.Agent.Single(x => x.Type.Coding[0].Code == "IRCP").Who.Identifier.Value);
            Assert.NotNull(a.Recorded);
            Assert.NotNull(a.Source.Observer);
        }
        var search = events.Single(a => a.Entity.Any(x => x.Role?.Code == "24" && Encoding.UTF8.GetString(x.Query).Contains("family=Okafor")));
        Assert.Equal("?family=Okafor&birthdate=1950-01-01", Encoding.UTF8.GetString(search.Entity.Single(x => x.Role.Code == "24").Query));
        Assert.Contains(events, a => a.Subtype.Any(c => c.System == AuditRecord.OperationSystem && c.Code == "everything"));
    }

    [Fact]
    public async Task Concurrent_requests_are_all_audited_and_searchable_by_the_standard_parameters()
    {
        var created = await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson()), "client_id=vendor-app; fhircare_vendor=acme"));
        var id = created.Headers.Location!.Segments[^3].TrimEnd('/');
        var reads = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Get, i % 4 == 0 ? "/Patient/nope" : $"/Patient/{id}"), App))));
        Assert.Equal(41, AuditRows());
        Assert.Equal(10, reads.Count(r => r.StatusCode == HttpStatusCode.NotFound));

        Assert.Equal(30, (await AuditEventsAsync($"entity=Patient/{id}/_history/1&subtype=read&outcome=0")).Count);
        Assert.Equal(31, (await AuditEventsAsync($"patient=Patient/{id}")).Count);
        Assert.Equal(10, (await AuditEventsAsync("outcome=4")).Count);
        Assert.Single(await AuditEventsAsync("agent=Organization/acme"));
        Assert.Single(await AuditEventsAsync("subtype=create&action=C"));
        Assert.Equal(40, (await AuditEventsAsync("altid=nurse-7")).Count);
        Assert.Equal(47, (await AuditEventsAsync("date=ge2000-01-01")).Count); // and the six searches before this one
    }

    [Theory]
    [InlineData("POST", "/AuditEvent", true)]
    [InlineData("PUT", "/AuditEvent/x", true)]
    [InlineData("PUT", "/AuditEvent?entity=Patient/x", true)]
    [InlineData("PATCH", "/AuditEvent/x", false)]
    [InlineData("DELETE", "/AuditEvent/x", false)]
    [InlineData("DELETE", "/AuditEvent?outcome=0", false)]
    public async Task Audit_events_cannot_be_written_through_the_api(string method, string url, bool body)
    {
        await _http.GetAsync("/metadata"); // at least one AuditEvent exists
        var id = (await AuditEventsAsync(""))[0].Id;
        url = url.Replace("/x", "/" + id);
        var json = method == "PATCH" ? """[{"op":"replace","path":"/outcome","value":"0"}]""" : body ? AuditJson(method == "PUT" ? id : null) : null;
        var before = AuditRows();
        await _server.RefusesAsync(FhirRequest.Create(new HttpMethod(method), url, json, method == "PATCH" ? FhirRequest.JsonPatch : FhirRequest.Json), 405, IssueType.Forbidden);
        Assert.Equal(before + 1, AuditRows()); // only the refusal's own AuditEvent
        Assert.Equal(1, (await AuditEventsAsync($"_id={id}"))[0].Meta.VersionId is "1" ? 1 : 0);
    }

    [Fact]
    public async Task Audit_events_cannot_be_written_through_a_transaction_or_batch()
    {
        foreach (var type in (string[])["transaction", "batch"])
        {
            var bundle = """{"resourceType":"Bundle","type":"TYPE","entry":[{"resource":{"resourceType":"Patient","gender":"other"},"request":{"method":"POST","url":"Patient"}},"""
                .Replace("TYPE", type) + """{"resource":AUDIT,"request":{"method":"POST","url":"AuditEvent"}}]}""".Replace("AUDIT", AuditJson(null));
            await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "/", bundle), 405, IssueType.Forbidden, "Bundle.entry[1].request.url");
        }
    }

    [Fact]
    public async Task Without_authentication_the_agent_is_an_anonymous_client()
    {
        await _http.GetAsync("/metadata");
        var audit = Assert.Single(await AuditEventsAsync("subtype=capabilities"));
        var client = audit.Agent.Single(a => a.Type.Coding[0].Code == "110153");
        Assert.Equal("anonymous", client.Who.Identifier.Value);
        Assert.True(client.Requestor);
        Assert.DoesNotContain(audit.Agent, a => a.Type.Coding[0].Code == "IRCP");
    }

    private static string AuditJson(string? id) =>
        """{"resourceType":"AuditEvent",ID"type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"},"recorded":"2024-01-01T00:00:00Z","agent":[{"requestor":true,"who":{"display":"x"}}],"source":{"observer":{"display":"x"}}}"""
            .Replace("ID", id is null ? "" : $"\"id\":\"{id}\",");

    private static string Bundle(string type) =>
        """{"resourceType":"Bundle","type":"TYPE","entry":[{"fullUrl":"urn:uuid:9a1c3b52-0b8e-4a8f-8f67-3d7b1c2e4f01","resource":{"resourceType":"Practitioner","name":[{"family":"Reyes"}]},"request":{"method":"POST","url":"Practitioner"}},{"request":{"method":"GET","url":"Practitioner?family=Reyes"}}]}"""
            .Replace("TYPE", type);

    private async Task<List<AuditEvent>> AuditEventsAsync(string query)
    {
        var response = await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Get, "/AuditEvent?_count=1000&" + query), "client_id=auditor"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(await response.Content.ReadAsStringAsync());
        return bundle.Entry.Select(e => (AuditEvent)e.Resource).ToList();
    }

    private long AuditRows()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _server.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM resource WHERE type = 'AuditEvent'";
        return (long)cmd.ExecuteScalar()!;
    }
}
