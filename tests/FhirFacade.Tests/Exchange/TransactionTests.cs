using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>Transaction Bundles (http.html#transaction): references, conditional entries, processing order, atomicity.</summary>
[Collection(ServerCollection.Name)]
public sealed class TransactionTests(FhirServer server)
{
    private static string Unique() => $"urn:fhircare:tx:{Guid.NewGuid():N}";

    public static string Bundle(string type, params string[] entries) =>
        $$"""{"resourceType":"Bundle","type":"{{type}}","entry":[{{string.Join(",", entries)}}]}""";

    public static string Entry(string? fullUrl, string? resource, string method, string url, string extraRequest = "") =>
        "{" + (fullUrl is null ? "" : $"\"fullUrl\":\"{fullUrl}\",") + (resource is null ? "" : $"\"resource\":{resource},")
            + $"\"request\":{{\"method\":\"{method}\",\"url\":\"{url}\"{extraRequest}}}}}";

    private static string PatientWith(string system, string value = "1") =>
        $$"""{"resourceType":"Patient","identifier":[{"system":"{{system}}","value":"{{value}}"}]}""";

    private Task<Reply> PostAsync(string bundle, params (string, string)[] headers) =>
        server.Http().FhirAsync(HttpMethod.Post, "", bundle, Wire.FhirJson, headers);

    private static JsonArray Entries(Reply reply) => reply.Json["entry"]!.AsArray();

    [Fact]
    public async Task Urn_references_everywhere_in_a_resource_are_rewritten_to_the_assigned_ids()
    {
        var system = Unique();
        const string patientUrl = "urn:uuid:8f4b0f5e-3c2a-4bde-9a51-0c1f2a3b4c5d";
        const string practitionerUrl = "urn:oid:1.2.3.4.5";
        var observation = $$$"""
            {"resourceType":"Observation","status":"final","code":{"text":"weight"},
             "subject":{"reference":"{{{patientUrl}}}"},
             "performer":[{"reference":"{{{practitionerUrl}}}"}],
             "extension":[{"url":"http://example.org/source","valueReference":{"reference":"{{{patientUrl}}}"}}],
             "component":[{"code":{"text":"x"},"valueString":"y","extension":[{"url":"http://example.org/who","valueReference":{"reference":"{{{practitionerUrl}}}"}}]}]}
            """;
        var reply = await PostAsync(Bundle("transaction",
            Entry(null, observation, "POST", "Observation"),
            Entry(patientUrl, PatientWith(system), "POST", "Patient"),
            Entry(practitionerUrl, """{"resourceType":"Practitioner","name":[{"family":"Who"}]}""", "POST", "Practitioner")));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        Assert.Equal("transaction-response", (string?)reply.Json["type"]);
        var entries = Entries(reply);
        Assert.Equal(3, entries.Count);
        foreach (var e in entries)
        {
            Assert.Equal("201 Created", (string?)e!["response"]!["status"]);
            Assert.Matches("^[A-Za-z]+/[0-9a-f-]+/_history/1$", (string?)e["response"]!["location"]);
            Assert.Equal("W/\"1\"", (string?)e["response"]!["etag"]);
            Assert.NotNull(e["response"]!["lastModified"]);
        }
        // Response entries are in request order, whatever the processing order.
        Assert.Equal("Observation", (string?)entries[0]!["resource"]!["resourceType"]);
        var patientId = (string)entries[1]!["resource"]!["id"]!;
        var practitionerId = (string)entries[2]!["resource"]!["id"]!;

        var stored = (await server.Http().FhirGetAsync((string)entries[0]!["response"]!["location"]!)).As<Observation>();
        Assert.Equal($"Patient/{patientId}", stored.Subject.Reference);
        Assert.Equal($"Practitioner/{practitionerId}", stored.Performer[0].Reference);
        Assert.Equal($"Patient/{patientId}", ((ResourceReference)stored.Extension[0].Value).Reference);
        Assert.Equal($"Practitioner/{practitionerId}", ((ResourceReference)stored.Component[0].Extension[0].Value).Reference);
        var found = await server.Http().FhirGetAsync($"Observation?subject=Patient/{patientId}");
        Assert.Single(found.As<Bundle>().Entry);
    }

    [Fact]
    public async Task Conditional_create_and_conditional_references_resolve_against_the_store_and_earlier_entries()
    {
        var system = Unique();
        var existing = await server.Http().FhirAsync(HttpMethod.Post, "Practitioner",
            $$"""{"resourceType":"Practitioner","identifier":[{"system":"{{system}}","value":"npi-1"}]}""", Wire.FhirJson);
        var existingId = existing.As<Practitioner>().Id;

        var reply = await PostAsync(Bundle("transaction",
            // matches the stored Practitioner: nothing created, 200
            Entry("urn:uuid:a0000000-0000-0000-0000-000000000001",
                $$"""{"resourceType":"Practitioner","identifier":[{"system":"{{system}}","value":"npi-1"}]}""",
                "POST", "Practitioner", $",\"ifNoneExist\":\"identifier={system}|npi-1\""),
            // a new Organization, referenced conditionally below before it is stored
            Entry("urn:uuid:a0000000-0000-0000-0000-000000000002",
                $$"""{"resourceType":"Organization","identifier":[{"system":"{{system}}","value":"org-1"}]}""", "POST", "Organization"),
            Entry(null, $$$"""
                {"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},
                 "participant":[{"individual":{"reference":"Practitioner?identifier={{{system}}}|npi-1"}}],
                 "serviceProvider":{"reference":"Organization?identifier={{{system}}}|org-1"}}
                """, "POST", "Encounter")));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var entries = Entries(reply);
        Assert.Equal("200 OK", (string?)entries[0]!["response"]!["status"]);
        Assert.Equal(existingId, (string?)entries[0]!["resource"]!["id"]);
        var organizationId = (string)entries[1]!["resource"]!["id"]!;
        var encounter = entries[2]!["resource"]!;
        Assert.Equal($"Practitioner/{existingId}", (string?)encounter["participant"]![0]!["individual"]!["reference"]);
        Assert.Equal($"Organization/{organizationId}", (string?)encounter["serviceProvider"]!["reference"]);
        var practitioners = await server.Http().FhirGetAsync($"Practitioner?identifier={Uri.EscapeDataString(system)}|npi-1");
        Assert.Single(practitioners.As<Bundle>().Entry);
    }

    [Fact]
    public async Task If_none_exist_matches_an_earlier_entry_of_the_same_transaction()
    {
        var system = Unique();
        var reply = await PostAsync(Bundle("transaction",
            Entry("urn:uuid:b0000000-0000-0000-0000-000000000001", PatientWith(system), "POST", "Patient"),
            Entry("urn:uuid:b0000000-0000-0000-0000-000000000002", PatientWith(system), "POST", "Patient", $",\"ifNoneExist\":\"identifier={system}|1\"")));
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var entries = Entries(reply);
        Assert.Equal("201 Created", (string?)entries[0]!["response"]!["status"]);
        Assert.Equal("200 OK", (string?)entries[1]!["response"]!["status"]);
        Assert.Equal((string?)entries[0]!["resource"]!["id"], (string?)entries[1]!["resource"]!["id"]);
    }

    [Fact]
    public async Task Entries_are_processed_delete_post_put_get_and_answered_in_request_order()
    {
        var system = Unique();
        var doomed = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "doomed"), Wire.FhirJson)).As<Patient>().Id;
        var kept = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "kept"), Wire.FhirJson)).As<Patient>().Id;
        var putId = $"tx-{Guid.NewGuid():N}";
        var reply = await PostAsync(Bundle("transaction",
            Entry(null, null, "GET", $"Patient?identifier={system}|"),
            Entry(null, $$"""{"resourceType":"Patient","id":"{{putId}}","identifier":[{"system":"{{system}}","value":"put"}]}""", "PUT", $"Patient/{putId}"),
            Entry(null, PatientWith(system, "posted"), "POST", "Patient"),
            Entry(null, null, "DELETE", $"Patient/{doomed}"),
            Entry(null, $$"""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.active"},{"name":"value","valueBoolean":true}]}]}""".Replace("replace", "add").Replace("\"Patient.active\"", "\"Patient\"").Replace("{\"name\":\"value\",\"valueBoolean\":true}", "{\"name\":\"name\",\"valueString\":\"active\"},{\"name\":\"value\",\"valueBoolean\":true}"), "PATCH", $"Patient/{kept}")));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var entries = Entries(reply);
        Assert.Equal("200 OK", (string?)entries[0]!["response"]!["status"]);
        Assert.Equal("201 Created", (string?)entries[1]!["response"]!["status"]);
        Assert.Equal("201 Created", (string?)entries[2]!["response"]!["status"]);
        Assert.Equal("204 No Content", (string?)entries[3]!["response"]!["status"]);
        Assert.Equal("200 OK", (string?)entries[4]!["response"]!["status"]);
        Assert.Equal(true, (bool?)entries[4]!["resource"]!["active"]);
        // The GET ran last: it sees the PUT, the POST and the PATCH, and not the deleted patient.
        var search = entries[0]!["resource"]!;
        var values = search["entry"]!.AsArray().Select(e => (string)e!["resource"]!["identifier"]![0]!["value"]!).Order().ToList();
        Assert.Equal(["kept", "posted", "put"], values);
        Assert.Equal(HttpStatusCode.Gone, (await server.Http().FhirGetAsync($"Patient/{doomed}")).Status);
    }

    [Fact]
    public async Task A_failing_last_entry_leaves_nothing_of_the_transaction_behind()
    {
        var system = Unique();
        var victim = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "victim"), Wire.FhirJson)).As<Patient>().Id;
        var bundle = Bundle("transaction",
            Entry("urn:uuid:c0000000-0000-0000-0000-000000000001", PatientWith(system, "new"), "POST", "Patient"),
            Entry(null, """{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"urn:uuid:c0000000-0000-0000-0000-000000000001"}}""", "POST", "Observation"),
            Entry(null, null, "DELETE", $"Patient/{victim}"),
            Entry(null, $$"""{"resourceType":"Patient","id":"{{victim}}x","identifier":[{"system":"{{system}}","value":"pinned"}]}""", "PUT", $"Patient/{victim}x", ",\"ifMatch\":\"W/\\\"7\\\"\""));

        var outcome = await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", bundle), 412, IssueType.Conflict, "Bundle.entry[3]");
        Assert.Contains("Entry 3", outcome.Issue[0].Diagnostics);
        // Every earlier entry is absent: no new patient, no observation, the deleted one still there (fingerprint checked the index rows).
        Assert.Equal(HttpStatusCode.OK, (await server.Http().FhirGetAsync($"Patient/{victim}")).Status);
        var search = await server.Http().FhirGetAsync($"Patient?identifier={Uri.EscapeDataString(system)}|new");
        Assert.Empty(search.As<Bundle>().Entry);
    }

    [Fact]
    public async Task Bad_transactions_are_refused_precisely_and_change_nothing()
    {
        var system = Unique();
        var patient = PatientWith(system);
        // not a Bundle, wrong Bundle type, missing request, bad url, unknown type
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", patient), 400, IssueType.Invalid, "resourceType");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("collection", $"{{\"resource\":{patient}}}")), 400, IssueType.Invalid, "Bundle.type");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", $"{{\"resource\":{patient}}}")), 400, IssueType.Required, "Bundle.entry[0].request");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", Entry(null, patient, "POST", "Patient/abc"))), 400, IssueType.Invalid, "Bundle.entry[0].request.url");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", Entry(null, patient, "POST", "Unicorn"))), 400, IssueType.NotSupported, "Bundle.entry[0].request.url");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", Entry(null, patient, "POST", "Observation"))), 400, IssueType.Invalid, "Bundle.entry[0].resource");
        // duplicate fullUrls
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry("urn:uuid:d0000000-0000-0000-0000-000000000001", patient, "POST", "Patient"),
            Entry("urn:uuid:d0000000-0000-0000-0000-000000000001", patient, "POST", "Patient"))), 400, IssueType.Duplicate, "Bundle.entry[1].fullUrl");
        // a reference to a urn:uuid that no entry has
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry("urn:uuid:d0000000-0000-0000-0000-000000000002", patient, "POST", "Patient"),
            Entry(null, """{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"urn:uuid:d0000000-0000-0000-0000-00000000beef"}}""", "POST", "Observation"))),
            400, IssueType.NotFound, "Bundle.entry[1].resource.subject.reference");
        // conditional references with no match and with several matches
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry(null, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Patient?identifier={{{system}}}|nobody"}}""", "POST", "Observation"))),
            400, IssueType.NotFound, "Bundle.entry[0].resource.subject.reference");
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry(null, PatientWith(system, "twin"), "POST", "Patient"),
            Entry(null, PatientWith(system, "twin"), "POST", "Patient"),
            Entry(null, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Patient?identifier={{{system}}}|twin"}}""", "POST", "Observation"))),
            412, IssueType.MultipleMatches, "Bundle.entry[2]");
        // circular conditional references: each entry's criteria name the other
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry("urn:uuid:e0000000-0000-0000-0000-000000000001", """{"resourceType":"Organization","name":"A"}""", "POST", "Organization", ",\"ifNoneExist\":\"partof=urn:uuid:e0000000-0000-0000-0000-000000000002\""),
            Entry("urn:uuid:e0000000-0000-0000-0000-000000000002", """{"resourceType":"Organization","name":"B"}""", "POST", "Organization", ",\"ifNoneExist\":\"partof=urn:uuid:e0000000-0000-0000-0000-000000000001\""))),
            400, IssueType.Invalid, "Bundle.entry[0].request");
        // one resource written by two entries
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry(null, """{"resourceType":"Patient","id":"twice"}""", "PUT", "Patient/twice"),
            Entry(null, null, "DELETE", "Patient/twice"))), 400, IssueType.Invalid, "Bundle.entry[0].request");
        // malformed JSON inside an entry
        await server.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", Entry(null, """{"resourceType":"Patient","gender":7}""", "POST", "Patient"))), 400, IssueType.Value, "Bundle.entry[0].resource.gender");
    }

    [Fact]
    public async Task Bundles_over_the_configured_limits_get_413()
    {
        using var limited = FhirServer.With(new Dictionary<string, string?> { ["Fhir:MaxBundleEntries"] = "2", ["Fhir:MaxBundleBytes"] = "2000" });
        var patient = PatientWith(Unique());
        await limited.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry(null, patient, "POST", "Patient"), Entry(null, patient, "POST", "Patient"), Entry(null, patient, "POST", "Patient"))), 413, IssueType.TooCostly, "Bundle.entry");
        var big = $$"""{"resourceType":"Patient","name":[{"family":"{{new string('x', 2500)}}"}]}""";
        await limited.RefusesAsync(FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction", Entry(null, big, "POST", "Patient"))), 413, IssueType.TooCostly);
        var ok = await limited.Http().FhirAsync(HttpMethod.Post, "", Bundle("transaction", Entry(null, patient, "POST", "Patient")), Wire.FhirJson);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
    }

    [Fact]
    public async Task Reads_in_a_transaction_see_its_writes_before_the_commit()
    {
        var system = Unique();
        var before = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "before"), Wire.FhirJson)).As<Patient>().Id;
        var doomed = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "doomed"), Wire.FhirJson)).As<Patient>().Id;
        var putId = $"tx-{Guid.NewGuid():N}";
        var reply = await PostAsync(Bundle("transaction",
            Entry(null, null, "GET", $"Patient/{putId}"),
            Entry(null, null, "HEAD", $"Patient/{before}/_history/2"),
            Entry(null, null, "GET", $"Patient/{before}", ",\"ifNoneMatch\":\"W/\\\"2\\\"\""),
            Entry(null, $$"""{"resourceType":"Patient","id":"{{putId}}","identifier":[{"system":"{{system}}","value":"put"}]}""", "PUT", $"Patient/{putId}"),
            Entry(null, $$"""{"resourceType":"Patient","id":"{{before}}","active":true,"identifier":[{"system":"{{system}}","value":"before"}]}""", "PUT", $"Patient/{before}"),
            Entry(null, null, "DELETE", $"Patient/{doomed}")));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var entries = Entries(reply);
        Assert.Equal("200 OK", (string?)entries[0]!["response"]!["status"]);
        Assert.Equal("put", (string?)entries[0]!["resource"]!["identifier"]![0]!["value"]);
        Assert.Equal("W/\"1\"", (string?)entries[0]!["response"]!["etag"]);
        Assert.Equal("200 OK", (string?)entries[1]!["response"]!["status"]); // HEAD: the new version, no body
        Assert.Null(entries[1]!["resource"]);
        Assert.Equal("W/\"2\"", (string?)entries[1]!["response"]!["etag"]);
        Assert.Equal("304 Not Modified", (string?)entries[2]!["response"]!["status"]);
    }

    [Theory]
    [InlineData("Patient/{doomed}", 410, "deleted")]   // deleted by this very transaction
    [InlineData("Patient/nobody-{unique}", 404, "not-found")]
    [InlineData("Patient/{doomed}/_history/7", 404, "not-found")]
    public async Task A_failed_read_fails_the_whole_transaction_and_nothing_is_written(string url, int status, string code)
    {
        var system = Unique();
        var doomed = (await server.Http().FhirAsync(HttpMethod.Post, "Patient", PatientWith(system, "doomed"), Wire.FhirJson)).As<Patient>().Id;
        var before = server.Fingerprint();
        var request = FhirRequest.Create(HttpMethod.Post, "", Bundle("transaction",
            Entry(null, PatientWith(system, "new"), "POST", "Patient"),
            Entry(null, null, "DELETE", $"Patient/{doomed}"),
            Entry(null, null, "GET", url.Replace("{doomed}", doomed).Replace("{unique}", Guid.NewGuid().ToString("N")))));
        var outcome = await server.RefusesAsync(request, status, Hl7.Fhir.Utility.EnumUtility.ParseLiteral<IssueType>(code)!.Value, "Bundle.entry[2]");
        Assert.Contains("Entry 2 (GET", outcome.Issue[0].Diagnostics);
        Assert.Equal(before, server.Fingerprint());
        Assert.Equal(HttpStatusCode.OK, (await server.Http().FhirGetAsync($"Patient/{doomed}")).Status);
    }

    [Fact]
    public async Task A_batch_commits_each_entry_on_its_own()
    {
        var system = Unique();
        var reply = await PostAsync(Bundle("batch",
            Entry(null, PatientWith(system, "one"), "POST", "Patient"),
            Entry(null, """{"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Patient?identifier=nobody|x"}}""", "POST", "Observation"),
            Entry(null, null, "GET", "Patient/does-not-exist"),
            Entry(null, PatientWith(system, "two"), "POST", "Patient")), ("Prefer", "return=minimal"));

        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        Assert.Equal("batch-response", (string?)reply.Json["type"]);
        var entries = Entries(reply);
        Assert.Equal("201 Created", (string?)entries[0]!["response"]!["status"]);
        Assert.Null(entries[0]!["resource"]); // return=minimal
        Assert.StartsWith("400", (string?)entries[1]!["response"]!["status"]);
        Assert.Equal("not-found", (string?)entries[1]!["response"]!["outcome"]!["issue"]![0]!["code"]);
        Assert.Equal("Bundle.entry[1].resource.subject.reference", (string?)entries[1]!["response"]!["outcome"]!["issue"]![0]!["expression"]![0]);
        Assert.StartsWith("404", (string?)entries[2]!["response"]!["status"]);
        Assert.Equal("201 Created", (string?)entries[3]!["response"]!["status"]);
        var stored = await server.Http().FhirGetAsync($"Patient?identifier={Uri.EscapeDataString(system)}|");
        Assert.Equal(2, stored.As<Bundle>().Entry.Count);
    }

    [Fact]
    public async Task Transactions_are_answered_in_xml_too()
    {
        var reply = await server.Http().FhirAsync(HttpMethod.Post, "?_format=xml", Bundle("transaction", Entry(null, PatientWith(Unique()), "POST", "Patient")), Wire.FhirJson);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        using var xml = System.Xml.XmlReader.Create(new StringReader(reply.Body));
        var bundle = Assert.IsType<Bundle>(new FhirXmlDeserializer().DeserializeResource(xml));
        Assert.Equal(Hl7.Fhir.Model.Bundle.BundleType.TransactionResponse, bundle.Type);
        Assert.Equal("201 Created", bundle.Entry[0].Response.Status);
        Assert.IsType<Patient>(bundle.Entry[0].Resource);
    }
}
