using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Exchange;

/// <summary>Patient/$everything over real Synthea members: the compartment, what it references, paging and filters.</summary>
public sealed class PatientEverythingTests(SyntheaLoad load) : IClassFixture<SyntheaLoad>
{
    private (string Id, Dictionary<string, int> Counts) First => load.PatientRecords[SyntheaLoad.Patients[0]];

    private static List<(string Type, string Id, string Mode)> EntriesOf(JsonNode bundle) =>
        bundle["entry"]?.AsArray().Select(e => ((string)e!["resource"]!["resourceType"]!, (string)e["resource"]!["id"]!, (string)e["search"]!["mode"]!)).ToList() ?? [];

    [Fact]
    public async Task Everything_holds_the_members_whole_bundle_and_what_it_references()
    {
        var (id, counts) = First;
        var reply = await load.Server.Http().FhirGetAsync($"Patient/{id}/$everything");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("searchset", (string?)reply.Json["type"]);
        var entries = EntriesOf(reply.Json);
        Assert.Equal(entries.Count, entries.Select(e => (e.Type, e.Id)).Distinct().Count());
        var matches = entries.Where(e => e.Mode == "match").GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count());
        // Every resource of the member's transaction Bundle is in the compartment (Provenance through its patient target).
        foreach (var (type, n) in counts) Assert.True(matches.GetValueOrDefault(type) == n, $"{type}: {matches.GetValueOrDefault(type)} of {n}");
        var included = entries.Where(e => e.Mode == "include").Select(e => e.Type).ToHashSet();
        Assert.Contains("Practitioner", included);
        Assert.Contains("Organization", included);
        Assert.Contains("Location", included);
        Assert.Equal(("Patient", id), (entries[0].Type, entries[0].Id));
    }

    [Fact]
    public async Task Paging_with_count_returns_the_same_resources_as_one_response()
    {
        var (id, _) = First;
        var http = load.Server.Http();
        var whole = EntriesOf((await http.FhirGetAsync($"Patient/{id}/$everything?_type=Observation,Encounter,Practitioner")).Json);
        var paged = new List<(string Type, string Id, string Mode)>();
        string? next = $"Patient/{id}/$everything?_type=Observation,Encounter,Practitioner&_count=7";
        var pages = 0;
        while (next is not null)
        {
            var page = await http.FhirGetAsync(next);
            Assert.True(page.Status == HttpStatusCode.OK, page.ToString());
            var entries = EntriesOf(page.Json);
            Assert.True(entries.Count(e => e.Mode == "match") <= 7);
            paged.AddRange(entries);
            next = page.Json["link"]!.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.ToString();
            pages++;
        }
        Assert.True(pages > 3);
        Assert.Equal(whole.Where(e => e.Mode == "match").Order(), paged.Where(e => e.Mode == "match").Order());
        Assert.Equal(whole.Where(e => e.Mode == "include").Select(e => e.Id).ToHashSet(), paged.Where(e => e.Mode == "include").Select(e => e.Id).ToHashSet());
        Assert.All(whole, e => Assert.Contains(e.Type, new[] { "Observation", "Encounter", "Practitioner" }));
    }

    [Fact]
    public async Task Since_in_the_future_leaves_nothing_and_the_type_level_covers_every_member()
    {
        var (id, _) = First;
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        var none = await load.Server.Http().FhirGetAsync($"Patient/{id}/$everything?_since={future}");
        Assert.Equal(HttpStatusCode.OK, none.Status);
        Assert.Empty(EntriesOf(none.Json));

        var all = EntriesOf((await load.Server.Http().FhirGetAsync("Patient/$everything?_type=Patient,Encounter")).Json);
        Assert.Equal(load.PatientRecords.Values.Select(p => p.PatientId).Order(), all.Where(e => e.Type == "Patient").Select(e => e.Id).Order());
        Assert.Equal(load.InputCounts["Encounter"], all.Count(e => e.Type == "Encounter"));
    }

    [Fact]
    public async Task Bad_everything_requests_are_refused_precisely()
    {
        var (id, _) = First;
        async Task Refused(string url, int status, IssueType code, string? expression) =>
            await load.Server.RefusesAsync(FhirRequest.Create(HttpMethod.Get, url), status, code, expression);
        await Refused("Patient/no-such-patient/$everything", 404, IssueType.NotFound, null);
        await Refused($"Patient/{id}/$everything?start=2020-01-01", 400, IssueType.NotSupported, "start");
        await Refused($"Patient/{id}/$everything?_count=0", 400, IssueType.Invalid, "_count");
        await Refused($"Patient/{id}/$everything?_type=Unicorn", 400, IssueType.Invalid, "_type");
        await Refused($"Patient/{id}/$everything?_since=2020", 400, IssueType.Invalid, "_since");
        await Refused($"Patient/{id}/$everything?_count=5&_cursor=garbage", 400, IssueType.Invalid, "_cursor");
        await Refused("Patient/$everything?_count=5", 400, IssueType.NotSupported, "_count");
    }

    [Fact]
    public async Task The_capability_statement_lists_transaction_batch_and_the_operations()
    {
        using var server = new FhirServer(); // with the published guide, which holds our OperationDefinitions
        var statement = (await server.Http().FhirGetAsync("metadata")).As<Hl7.Fhir.Model.CapabilityStatement>();
        var rest = statement.Rest[0];
        Assert.Contains(rest.Interaction, i => i.Code == Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction.Transaction);
        Assert.Contains(rest.Interaction, i => i.Code == Hl7.Fhir.Model.CapabilityStatement.SystemRestfulInteraction.Batch);
        Assert.Contains(rest.Operation, o => o.Name == "export" && o.Definition == "https://fhircare.org/fhir/OperationDefinition/export");
        var patient = rest.Resource.Single(r => r.Type == "Patient");
        Assert.Contains(patient.Operation, o => o.Name == "everything" && o.Definition == "https://fhircare.org/fhir/OperationDefinition/Patient-everything");
        Assert.Contains(patient.Operation, o => o.Name == "export" && o.Definition.EndsWith("/patient-export", StringComparison.Ordinal));
        Assert.Contains(rest.Resource.Single(r => r.Type == "Group").Operation, o => o.Name == "export" && o.Definition.EndsWith("/group-export", StringComparison.Ordinal));
        // Each definition of ours is published by the server itself, and names the standard one it is based on.
        foreach (var url in rest.Operation.Concat(patient.Operation).Where(o => o.Name is "everything" or "export").Select(o => o.Definition).Where(u => u.StartsWith("https://fhircare.org/", StringComparison.Ordinal)).Distinct())
        {
            var found = (await server.Http().FhirGetAsync($"OperationDefinition?url={Uri.EscapeDataString(url)}")).As<Hl7.Fhir.Model.Bundle>();
            var definition = Assert.IsType<Hl7.Fhir.Model.OperationDefinition>(Assert.Single(found.Entry).Resource);
            Assert.StartsWith("http://hl7.org/fhir/", definition.Base);
        }
    }
}
