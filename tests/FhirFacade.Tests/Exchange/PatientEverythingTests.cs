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
        await Refused($"Patient/{id}/$everything?start=2020-13-01", 400, IssueType.Invalid, "start");
        await Refused($"Patient/{id}/$everything?start=2020-01-01T00:00:00Z", 400, IssueType.Invalid, "start");
        await Refused($"Patient/{id}/$everything?end=yesterday", 400, IssueType.Invalid, "end");
        await Refused($"Patient/{id}/$everything?start=2021&end=2020-06", 400, IssueType.Invalid, "start");
        await Refused($"Patient/{id}/$everything?start=2020&start=2021", 400, IssueType.Invalid, "start");
        await Refused($"Patient/{id}/$everything?_cursor=abc", 400, IssueType.Invalid, "_cursor");
        await Refused($"Patient/{id}/$everything?colour=blue", 400, IssueType.NotSupported, "colour");
        await Refused($"Patient/{id}/$everything?_count=0", 400, IssueType.Invalid, "_count");
        await Refused($"Patient/{id}/$everything?_type=Unicorn", 400, IssueType.Invalid, "_type");
        await Refused($"Patient/{id}/$everything?_since=2020", 400, IssueType.Invalid, "_since");
        await Refused($"Patient/{id}/$everything?_count=5&_cursor=garbage", 400, IssueType.Invalid, "_cursor");
        await Refused("Patient/$everything?_count=1001", 400, IssueType.Invalid, "_count");
    }

    /// <summary>The member's input Bundle, to work out independently which resources a care-date range keeps.</summary>
    private static IEnumerable<JsonNode> InputResources(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "synthea", $"{file}.json")))!["entry"]!.AsArray()
            .Select(e => e!["resource"]!);

    [Theory]
    [InlineData("2021-04-01", "2021-05-31")]
    [InlineData("2021-06", null)]
    [InlineData(null, "2020")]
    public async Task Start_and_end_keep_the_encounters_and_observations_of_that_care_period(string? start, string? end)
    {
        var (id, _) = First;
        var from = start is null ? DateTimeOffset.MinValue : DateTimeOffset.Parse(start.Length == 7 ? start + "-01" : start, null, System.Globalization.DateTimeStyles.AssumeUniversal);
        var to = end is null ? DateTimeOffset.MaxValue : end.Length == 4 ? new DateTimeOffset(int.Parse(end) + 1, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1)
            : DateTimeOffset.Parse(end, null, System.Globalization.DateTimeStyles.AssumeUniversal).AddDays(1).AddTicks(-1);
        bool Overlaps(string? s, string? e) => s is null || DateTimeOffset.Parse(e ?? s) >= from && DateTimeOffset.Parse(s) <= to;
        var input = InputResources(SyntheaLoad.Patients[0]).ToList();
        var encounters = input.Count(r => (string?)r["resourceType"] == "Encounter" && Overlaps((string?)r["period"]?["start"], (string?)r["period"]?["end"]));
        var observations = input.Count(r => (string?)r["resourceType"] == "Observation"
            && Overlaps((string?)r["effectiveDateTime"] ?? (string?)r["effectivePeriod"]?["start"], (string?)r["effectivePeriod"]?["end"]));
        Assert.True(encounters > 0 && observations > 0 || end == "2020");

        var query = string.Join('&', new[] { start is null ? null : $"start={start}", end is null ? null : $"end={end}" }.OfType<string>());
        var reply = await load.Server.Http().FhirGetAsync($"Patient/{id}/$everything?_type=Patient,Encounter,Observation,Coverage&{query}");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var matches = EntriesOf(reply.Json).Where(e => e.Mode == "match").GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(encounters, matches.GetValueOrDefault("Encounter"));
        Assert.Equal(observations, matches.GetValueOrDefault("Observation"));
        Assert.Equal(1, matches.GetValueOrDefault("Patient")); // no care date: always in
        Assert.Equal(input.Count(r => (string?)r["resourceType"] == "Coverage"), matches.GetValueOrDefault("Coverage"));
    }

    [Fact]
    public async Task Resources_without_a_care_date_are_kept_and_dated_ones_outside_the_range_are_not()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Validation:Mode"] = "off" });
        var http = server.Http();
        async Task<string> Create(string type, string body)
        {
            var created = await http.FhirAsync(HttpMethod.Post, type, $"{{\"resourceType\":\"{type}\"{body}}}", Wire.FhirJson);
            Assert.True(created.Status == HttpStatusCode.Created, created.ToString());
            return created.Location!.Split('/')[^3];
        }
        var patient = await Create("Patient", ",\"active\":true");
        var subject = $",\"subject\":{{\"reference\":\"Patient/{patient}\"}}";
        var code = ",\"code\":{\"text\":\"x\"}";
        var undated = await Create("Observation", $",\"status\":\"final\"{code}{subject}");
        var inside = await Create("Observation", $",\"status\":\"final\"{code}{subject},\"effectiveDateTime\":\"2020-03-04T10:00:00Z\"");
        var spanning = await Create("Observation", $",\"status\":\"final\"{code}{subject},\"effectivePeriod\":{{\"start\":\"2019-12-01\",\"end\":\"2020-01-02\"}}");
        _ = await Create("Observation", $",\"status\":\"final\"{code}{subject},\"effectiveDateTime\":\"2021-01-01\"");
        var condition = await Create("Condition", $"{subject},\"onsetDateTime\":\"2020-12-31\"");
        _ = await Create("Condition", $"{subject},\"onsetDateTime\":\"2019-12-31\",\"recordedDate\":\"2020-02-02\""); // onset decides
        var prescription = await Create("MedicationRequest", $",\"status\":\"active\",\"intent\":\"order\",\"medicationCodeableConcept\":{{\"text\":\"m\"}}{subject},\"authoredOn\":\"2020-07-01\"");

        var reply = await http.FhirGetAsync($"Patient/{patient}/$everything?start=2020&end=2020");
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var ids = EntriesOf(reply.Json).Select(e => e.Id).Order().ToList();
        Assert.Equal(new[] { patient, undated, inside, spanning, condition, prescription }.Order().ToList(), ids);
    }

    [Fact]
    public async Task The_servers_audit_log_is_left_out_unless_asked_for()
    {
        using var server = FhirServer.With(new Dictionary<string, string?> { ["Validation:Mode"] = "off", ["Audit:Enabled"] = "true" });
        var http = server.Http();
        var created = await http.FhirAsync(HttpMethod.Post, "Patient", "{\"resourceType\":\"Patient\",\"active\":true}", Wire.FhirJson);
        Assert.True(created.Status == HttpStatusCode.Created, created.ToString());
        var patient = created.Location!.Split('/')[^3];
        Assert.Equal(HttpStatusCode.OK, (await http.FhirGetAsync($"Patient/{patient}")).Status); // audited, about this patient

        var audited = await http.FhirGetAsync($"AuditEvent?patient=Patient/{patient}");
        Assert.NotEmpty(EntriesOf(audited.Json));

        var everything = await http.FhirGetAsync($"Patient/{patient}/$everything");
        Assert.Equal(["Patient"], EntriesOf(everything.Json).Select(e => e.Type).Distinct());

        var asked = await http.FhirGetAsync($"Patient/{patient}/$everything?_type=AuditEvent");
        Assert.True(asked.Status == HttpStatusCode.OK, asked.ToString());
        Assert.NotEmpty(EntriesOf(asked.Json).Where(e => e.Type == "AuditEvent"));
    }

    [Fact]
    public async Task Type_level_paging_walks_every_member_and_returns_what_one_response_does()
    {
        var http = load.Server.Http();
        var whole = EntriesOf((await http.FhirGetAsync("Patient/$everything?_type=Patient,Encounter,Practitioner")).Json);
        var paged = new List<(string Type, string Id, string Mode)>();
        string? next = "Patient/$everything?_type=Patient,Encounter,Practitioner&_count=2";
        var pages = 0;
        while (next is not null)
        {
            var page = await http.FhirGetAsync(next);
            Assert.True(page.Status == HttpStatusCode.OK, page.ToString());
            var entries = EntriesOf(page.Json);
            Assert.True(entries.Count(e => e.Mode == "match") <= 2);
            paged.AddRange(entries);
            next = page.Json["link"]!.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"]?.ToString();
            pages++;
        }
        Assert.True(pages > 2);
        Assert.Equal(whole.Where(e => e.Mode == "match").Order(), paged.Where(e => e.Mode == "match").Order());
        Assert.Equal(load.PatientRecords.Count, paged.Count(e => e.Type == "Patient"));
        Assert.Equal(load.InputCounts["Encounter"], paged.Count(e => e.Type == "Encounter"));
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
