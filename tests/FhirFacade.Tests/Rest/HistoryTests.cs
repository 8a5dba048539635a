using System.Net;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Rest;

[Collection(ServerCollection.Name)]
public sealed class HistoryTests(FhirServer server)
{
    private static Patient NewPatient(string family) => new() { Name = [new HumanName { Family = family }] };

    private async Task<T> CreateAsync<T>(T resource) where T : Resource
    {
        var reply = await server.Http().FhirAsync(HttpMethod.Post, resource.TypeName, resource);
        Assert.Equal(HttpStatusCode.Created, reply.Status);
        return reply.As<T>();
    }

    private async Task<Patient> UpdateAsync(string id, string family)
    {
        var patient = NewPatient(family);
        patient.Id = id;
        var reply = await server.Http().FhirAsync(HttpMethod.Put, $"Patient/{id}", patient);
        Assert.True(reply.Status is HttpStatusCode.OK or HttpStatusCode.Created, reply.ToString());
        return reply.As<Patient>();
    }

    /// <summary>A patient with <paramref name="versions"/> versions, whose family names are "{prefix}1".."{prefix}n"; one clock tick apart.</summary>
    private async Task<List<Patient>> PatientWithVersionsAsync(string prefix, int versions)
    {
        var written = new List<Patient> { await CreateAsync(NewPatient(prefix + 1)) };
        for (var v = 2; v <= versions; v++)
        {
            await Wire.Tick();
            written.Add(await UpdateAsync(written[0].Id, prefix + v));
        }
        return written;
    }

    private async Task<Bundle> HistoryAsync(string url)
    {
        var reply = await server.Http().FhirGetAsync(url);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var bundle = reply.As<Bundle>();
        Assert.Equal(Bundle.BundleType.History, bundle.Type);
        return bundle;
    }

    private static int VersionOf(Bundle.EntryComponent entry) => int.Parse(entry.Response.Etag.Replace("W/", "").Trim('"'));

    private static string? Next(Bundle bundle) => bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;

    [Fact]
    public async Task Instance_history_lists_every_version_newest_first_including_the_delete()
    {
        var id = (await CreateAsync(NewPatient("Hist1"))).Id;
        await Wire.Tick();
        await UpdateAsync(id, "Hist2");
        await Wire.Tick();
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{id}")).Status);

        var bundle = await HistoryAsync($"Patient/{id}/_history");

        Assert.Equal(3, bundle.Total);
        var expected = new (Bundle.HTTPVerb Method, string Status, string? Family)[]
        {
            (Bundle.HTTPVerb.DELETE, "204", null),
            (Bundle.HTTPVerb.PUT, "200", "Hist2"),
            (Bundle.HTTPVerb.POST, "201", "Hist1"),
        };
        Assert.Equal(expected.Length, bundle.Entry.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            var entry = bundle.Entry[i];
            var version = expected.Length - i;
            Assert.Equal(expected[i].Method, entry.Request.Method);
            Assert.StartsWith(expected[i].Method == Bundle.HTTPVerb.POST ? "Patient" : $"Patient/{id}", entry.Request.Url);
            Assert.StartsWith(expected[i].Status, entry.Response.Status);
            Assert.Equal($"W/\"{version}\"", entry.Response.Etag);
            Assert.NotNull(entry.Response.LastModified);
            Assert.EndsWith($"Patient/{id}", entry.FullUrl);
            if (expected[i].Family is null)
            {
                Assert.Null(entry.Resource);
                continue;
            }
            var patient = Assert.IsType<Patient>(entry.Resource);
            Assert.Equal(expected[i].Family, patient.Name[0].Family);
            Assert.Equal(version.ToString(), patient.Meta.VersionId);
        }
        var stamps = bundle.Entry.Select(e => e.Response.LastModified!.Value).ToList();
        Assert.Equal(stamps.OrderDescending(), stamps);
    }

    [Fact]
    public async Task Instance_history_of_an_unknown_resource_is_404()
    {
        var reply = await server.Http().FhirGetAsync($"Patient/hist-{Guid.NewGuid():N}/_history");
        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    [Fact]
    public async Task Type_history_holds_only_that_type()
    {
        var patient = await CreateAsync(NewPatient("TypeHist"));
        var observation = await CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
        });
        var since = Wire.Instant(patient.Meta.LastUpdated!.Value);

        var observations = await HistoryAsync($"Observation/_history?_since={since}");
        var patients = await HistoryAsync($"Patient/_history?_since={since}");

        Assert.Contains(observations.Entry, e => e.Resource?.Id == observation.Id);
        Assert.DoesNotContain(observations.Entry, e => e.Resource?.Id == patient.Id);
        Assert.All(observations.Entry, e => Assert.StartsWith("Observation", e.Request.Url));
        Assert.All(observations.Entry.Where(e => e.Resource is not null), e => Assert.IsType<Observation>(e.Resource));
        Assert.Contains(patients.Entry, e => e.Resource?.Id == patient.Id);
        Assert.All(patients.Entry, e => Assert.StartsWith("Patient", e.Request.Url));
    }

    [Fact]
    public async Task System_history_holds_every_type()
    {
        var patient = await CreateAsync(NewPatient("SysHist"));
        var observation = await CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") });
        var encounter = await CreateAsync(new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB") });

        var bundle = await HistoryAsync($"_history?_since={Wire.Instant(patient.Meta.LastUpdated!.Value)}");

        var found = bundle.Entry.Where(e => e.Resource is not null).Select(e => (e.Resource.TypeName, e.Resource.Id)).ToHashSet();
        Assert.Contains(("Patient", patient.Id), found);
        Assert.Contains(("Observation", observation.Id), found);
        Assert.Contains(("Encounter", encounter.Id), found);
    }

    public static TheoryData<string> Levels => ["instance", "type", "system"];

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task Count_pages_through_next_links_without_gaps_or_duplicates(string level)
    {
        var written = await PatientWithVersionsAsync("Paged", 7);
        var id = written[0].Id;
        var since = Wire.Instant(written[0].Meta.LastUpdated!.Value);
        var url = level switch
        {
            "instance" => $"Patient/{id}/_history?_count=2",
            "type" => $"Patient/_history?_count=2&_since={since}",
            _ => $"_history?_count=2&_since={since}",
        };

        var pages = new List<Bundle>();
        for (string? next = url; next is not null; next = Next(pages[^1]))
        {
            pages.Add(await HistoryAsync(next));
            Assert.True(pages.Count <= 10, "the next links never end");
        }

        Assert.All(pages, p => Assert.InRange(p.Entry.Count, 1, 2));
        var mine = pages.SelectMany(p => p.Entry).Where(e => e.FullUrl.EndsWith($"Patient/{id}")).Select(VersionOf).ToList();
        Assert.Equal([7, 6, 5, 4, 3, 2, 1], mine);
        var all = pages.SelectMany(p => p.Entry).Select(e => e.FullUrl + "|" + e.Response.Etag).ToList();
        Assert.Equal(all.Distinct(), all);
        var stamps = pages.SelectMany(p => p.Entry).Select(e => e.Response.LastModified!.Value).ToList();
        Assert.Equal(stamps.OrderDescending(), stamps);
    }

    [Fact]
    public async Task Paging_stays_stable_while_new_versions_are_written()
    {
        var id = (await PatientWithVersionsAsync("Stable", 6))[0].Id;
        var seen = new List<int>();

        var page = await HistoryAsync($"Patient/{id}/_history?_count=2");
        seen.AddRange(page.Entry.Select(VersionOf));
        var extra = 0;
        while (Next(page) is { } next)
        {
            await Wire.Tick();
            await UpdateAsync(id, "StableExtra" + ++extra);
            page = await HistoryAsync(next);
            seen.AddRange(page.Entry.Select(VersionOf));
            Assert.True(extra <= 10, "the next links never end");
        }

        Assert.Equal([6, 5, 4, 3, 2, 1], seen);
        Assert.Equal(2, extra);
        Assert.Equal(Enumerable.Range(1, 8).Reverse(), (await HistoryAsync($"Patient/{id}/_history")).Entry.Select(VersionOf));
    }

    [Theory]
    [InlineData(1, new[] { 3, 2, 1 })]
    [InlineData(2, new[] { 3, 2 })]
    [InlineData(3, new[] { 3 })]
    public async Task Since_keeps_the_versions_written_at_or_after_the_instant(int sinceVersion, int[] expected)
    {
        var written = await PatientWithVersionsAsync("Since", 3);
        var since = Wire.Instant(written[sinceVersion - 1].Meta.LastUpdated!.Value);

        var bundle = await HistoryAsync($"Patient/{written[0].Id}/_history?_since={since}");

        Assert.Equal(expected, bundle.Entry.Select(VersionOf));
    }

    [Fact]
    public async Task Since_after_the_last_write_is_empty()
    {
        var written = await PatientWithVersionsAsync("SinceLater", 2);
        var since = Wire.Instant(written[^1].Meta.LastUpdated!.Value.AddMilliseconds(1));

        var bundle = await HistoryAsync($"Patient/{written[0].Id}/_history?_since={since}");

        Assert.Empty(bundle.Entry);
    }

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(2, 0, 2)]
    [InlineData(2, 1, 2)]
    [InlineData(3, 0, 3)]
    [InlineData(3, 60_000, 3)]
    [InlineData(1, -60_000, 0)]
    public async Task At_gives_the_version_current_at_that_instant(int version, int offsetMs, int expected)
    {
        var written = await PatientWithVersionsAsync("At", 3);
        var at = Wire.Instant(written[version - 1].Meta.LastUpdated!.Value.AddMilliseconds(offsetMs));

        var bundle = await HistoryAsync($"Patient/{written[0].Id}/_history?_at={at}");

        Assert.Equal(expected == 0 ? [] : [expected], bundle.Entry.Select(VersionOf));
        if (expected > 0) Assert.Equal($"At{expected}", ((Patient)bundle.Entry[0].Resource).Name[0].Family);
    }

    [Theory]
    [InlineData("yyyy")]
    [InlineData("yyyy-MM")]
    [InlineData("yyyy-MM-dd")]
    [InlineData("yyyy-MM-dd'T'HH:mm'Z'")]
    public async Task At_with_a_coarse_value_gives_every_version_current_during_that_period(string format)
    {
        var written = await PatientWithVersionsAsync("AtPeriod", 3);
        var at = written[1].Meta.LastUpdated!.Value.UtcDateTime;
        var value = at.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        var precision = format.Count(c => c is 'y' or 'M' or 'd' or 'H' or 'm');
        var start = precision switch
        {
            4 => new DateTime(at.Year, 1, 1),
            6 => new DateTime(at.Year, at.Month, 1),
            8 => at.Date,
            _ => at.Date.AddHours(at.Hour).AddMinutes(at.Minute),
        };
        var end = precision switch { 4 => start.AddYears(1), 6 => start.AddMonths(1), 8 => start.AddDays(1), _ => start.AddMinutes(1) };
        var stamps = written.Select(p => p.Meta.LastUpdated!.Value.UtcDateTime).ToList();
        var expected = Enumerable.Range(0, 3)
            .Where(i => stamps[i] < end && (i == 2 || stamps[i + 1] > start))
            .Select(i => i + 1).Reverse().ToList();

        var bundle = await HistoryAsync($"Patient/{written[0].Id}/_history?_at={Uri.EscapeDataString(value)}");

        Assert.Contains(2, expected);
        Assert.Equal(expected, bundle.Entry.Select(VersionOf));
    }

    [Fact]
    public async Task History_entries_name_the_interaction_that_wrote_each_version()
    {
        var http = server.Http();
        var id = $"hist-{Guid.NewGuid():N}";
        var patient = NewPatient("ByPut");
        patient.Id = id;
        var statuses = new List<HttpStatusCode>
        {
            (await http.FhirAsync(HttpMethod.Put, $"Patient/{id}", patient)).Status,
            (await http.FhirAsync(HttpMethod.Put, $"Patient/{id}", patient)).Status,
            (await http.FhirAsync(HttpMethod.Delete, $"Patient/{id}")).Status,
            (await http.FhirAsync(HttpMethod.Put, $"Patient/{id}", patient)).Status,
        };
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.NoContent, HttpStatusCode.Created], statuses);

        var bundle = await HistoryAsync($"Patient/{id}/_history");

        var expected = new[] { "PUT 201", "DELETE 204", "PUT 200", "PUT 201" };
        Assert.Equal(expected, bundle.Entry.Select(e => $"{e.Request.Method} {e.Response.Status.Split(' ')[0]}"));
        Assert.All(bundle.Entry, e => Assert.Equal($"Patient/{id}", e.Request.Url));
    }

    [Theory]
    [InlineData("Patient/_history?_since=yesterday", "_since")]
    [InlineData("Patient/_history?_since=2024-02-30", "_since")]
    [InlineData("_history?_since=2024-01-01T25:00:00Z", "_since")]
    [InlineData("Patient/_history?_at=soon", "_at")]
    [InlineData("Patient/_history?_count=-1", "_count")]
    [InlineData("Patient/_history?_count=two", "_count")]
    public async Task Bad_history_parameters_are_400(string url, string parameter)
    {
        var reply = await server.Http().FhirGetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        var issue = Assert.Single(reply.As<OperationOutcome>().Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Contains(parameter, issue.Diagnostics + string.Join(' ', issue.Expression));
    }
}
