using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Audit;

/// <summary>
/// X-Provenance (http.html#provenance): stored with the write, target the new version; a bad header is a 400 and
/// nothing is written. Vendor clients' writes get a server-made Provenance naming the client and the vendor.
/// </summary>
public sealed class ProvenanceTests : IDisposable
{
    private const string Declared = """{"resourceType":"Provenance","recorded":"2024-05-01T10:00:00Z","agent":[{"who":{"reference":"Practitioner/dr-lee"}}],"reason":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]}]}""";
    private readonly FhirServer _server = FhirServer.With(new Dictionary<string, string?>(), TestIdentity.Register);
    private readonly HttpClient _http;

    public ProvenanceTests() => _http = _server.Http();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Create_and_update_store_the_declared_provenance_targeting_the_new_version()
    {
        var created = await _http.SendAsync(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson(), headers: ("X-Provenance", Declared)));
        Assert.True(HttpStatusCode.Created == created.StatusCode, await created.Content.ReadAsStringAsync());
        var id = created.Headers.Location!.Segments[^3].TrimEnd('/');
        var updated = await _http.SendAsync(FhirRequest.Create(HttpMethod.Put, $"/Patient/{id}", FhirRequest.PatientJson(id, "male"), headers: ("X-Provenance", Declared)));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        var both = await ProvenancesAsync($"target=Patient/{id}");
        Assert.Equal(2, both.Count);
        var first = Assert.Single(both, p => p.Target.Single().Reference == $"Patient/{id}/_history/1");
        Assert.Equal("Practitioner/dr-lee", first.Agent[0].Who.Reference);
        Assert.Equal("TREAT", first.Reason[0].Coding[0].Code);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), first.Recorded);
        var second = Assert.Single(both, p => p.Target.Single().Reference == $"Patient/{id}/_history/2");
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, (await ProvenancesAsync($"patient=Patient/{id}")).Count);
    }

    [Theory]
    [InlineData("not json", IssueType.Structure)]
    [InlineData("""{"resourceType":"Patient","gender":"female"}""", IssueType.Invalid)]
    [InlineData("""{"resourceType":"Provenance","recorded":"2024-05-01T10:00:00Z"}""", IssueType.Required)] // agent 1..*
    [InlineData("""{"resourceType":"Provenance","recorded":"yesterday","agent":[{"who":{"reference":"Practitioner/x"}}]}""", IssueType.Value)]
    public async Task A_bad_header_is_refused_and_nothing_is_written(string header, IssueType code)
    {
        var outcome = await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson(), headers: ("X-Provenance", header)), 400, code);
        Assert.Contains(outcome.Issue, i => i.Diagnostics?.Contains("X-Provenance") == true || i.Expression.Any(x => x.StartsWith("X-Provenance")));
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "/", Transaction("transaction"), headers: ("X-Provenance", header)), 400, code);
        await _server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "/", Transaction("batch"), headers: ("X-Provenance", header)), 400, code);
    }

    [Fact]
    public async Task A_transaction_gets_one_declared_provenance_targeting_every_version_it_wrote()
    {
        var response = await _http.SendAsync(FhirRequest.Create(HttpMethod.Post, "/", Transaction("transaction"), headers: ("X-Provenance", Declared)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(await response.Content.ReadAsStringAsync());
        var written = bundle.Entry.Select(e => e.Response.Location).ToList();
        var provenance = Assert.Single(await ProvenancesAsync(""));
        Assert.Equal(written.Order(), provenance.Target.Select(t => t.Reference).Order());
        Assert.Equal(2, written.Count);
    }

    [Fact]
    public async Task Vendor_writes_get_a_server_provenance_naming_the_client_and_the_vendor()
    {
        const string vendor = "client_id=outreach-co-app; fhircare_vendor=outreach-co";
        var created = await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson()), vendor));
        var id = created.Headers.Location!.Segments[^3].TrimEnd('/');
        await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Delete, $"/Patient/{id}"), vendor));
        await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Post, "/", Transaction("transaction"), headers: ("X-Provenance", Declared)), vendor));
        await _http.SendAsync(TestIdentity.As(FhirRequest.Create(HttpMethod.Post, "/Patient", FhirRequest.PatientJson()), "client_id=plan-app")); // no vendor: none

        var made = await ProvenancesAsync("agent=Organization/outreach-co");
        Assert.Equal(3, made.Count);
        foreach (var p in made)
        {
            Assert.Equal("author", p.Agent[0].Type.Coding[0].Code);
            Assert.Equal("outreach-co-app", p.Agent[0].Who.Identifier.Value);
            Assert.NotNull(p.Recorded);
        }
        Assert.Contains(made, p => p.Activity?.Coding[0].Code == "CREATE" && p.Target.Single().Reference == $"Patient/{id}/_history/1");
        Assert.Contains(made, p => p.Activity?.Coding[0].Code == "DELETE" && p.Target.Single().Reference == $"Patient/{id}/_history/2");
        Assert.Contains(made, p => p.Target.Count == 2);
        Assert.Equal(4, (await ProvenancesAsync("")).Count); // three made by the server, one declared
    }

    private static string Transaction(string type) =>
        """{"resourceType":"Bundle","type":"TYPE","entry":[{"fullUrl":"urn:uuid:5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5","resource":{"resourceType":"Patient","gender":"female"},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"weight"},"subject":{"reference":"urn:uuid:5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5"}},"request":{"method":"POST","url":"Observation"}}]}"""
            .Replace("TYPE", type);

    private async Task<List<Provenance>> ProvenancesAsync(string query)
    {
        var response = await _http.GetAsync("/Provenance?_count=100&" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(await response.Content.ReadAsStringAsync());
        return bundle.Entry.Select(e => (Provenance)e.Resource).ToList();
    }
}
