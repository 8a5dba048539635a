using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>Real data through batch and transaction Bundles: every entry succeeds, counts match, references resolve.</summary>
public sealed class SyntheaIngestTests(SyntheaLoad load) : IClassFixture<SyntheaLoad>
{
    [Fact]
    public void Every_entry_of_every_bundle_succeeds()
    {
        foreach (var (name, response) in load.Responses)
            foreach (var entry in response["entry"]!.AsArray())
                Assert.True(((string)entry!["response"]!["status"]!).StartsWith("201", StringComparison.Ordinal), $"{name}: {entry.ToJsonString()}");
    }

    [Fact]
    public async Task Stored_counts_per_type_match_the_input()
    {
        foreach (var (type, expected) in load.InputCounts)
        {
            var reply = await load.Server.Http().FhirGetAsync($"{type}?_summary=count");
            Assert.True(expected == (int?)reply.Json["total"], $"{type}: expected {expected}, stored {reply.Json["total"]}");
        }
    }

    [Fact]
    public async Task Every_reference_of_a_member_resolves_to_a_stored_resource()
    {
        var http = load.Server.Http();
        foreach (var (patientId, _) in load.PatientRecords.Values)
        {
            var everything = await http.FhirGetAsync($"Patient/{patientId}/$everything");
            Assert.Equal(HttpStatusCode.OK, everything.Status);
            var references = everything.Json["entry"]!.AsArray()
                .SelectMany(e => References(e!["resource"]!)).Where(r => !r.StartsWith('#')).ToHashSet();
            Assert.Contains($"Patient/{patientId}", references);
            Assert.Contains(references, r => r.StartsWith("Practitioner/", StringComparison.Ordinal));
            Assert.Contains(references, r => r.StartsWith("Organization/", StringComparison.Ordinal));
            Assert.DoesNotContain(references, r => r.StartsWith("urn:", StringComparison.Ordinal) || r.Contains('?'));
            foreach (var reference in references)
                Assert.True((await http.FhirGetAsync(reference)).Status == HttpStatusCode.OK, $"{reference} does not resolve");
        }
    }

    private static IEnumerable<string> References(JsonNode node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "reference" && p.Value is JsonValue v ? [(string)v!] : p.Value is null ? [] : References(p.Value)),
        JsonArray a => a.SelectMany(i => i is null ? [] : References(i)),
        _ => [],
    };

    [Fact]
    public async Task Loading_the_organizations_again_creates_nothing()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "synthea", "0-hospitalInformation1625911868739.json"));
        var before = load.Server.Fingerprint();
        var reply = await load.Server.Http().FhirAsync(HttpMethod.Post, "", text, Wire.FhirJson, ("Prefer", "return=minimal"));
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.All(reply.Json["entry"]!.AsArray(), e => Assert.Equal("200 OK", (string?)e!["response"]!["status"]));
        Assert.Equal(before, load.Server.Fingerprint());
    }
}
