using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Storage;

/// <summary>A server on one store, and helpers to fill and search it; skips with the fixture's reason when it cannot run.</summary>
public abstract class StoreTests<TStore>(TStore store) where TStore : StoreFixture
{
    protected TStore Store { get; } = store;

    protected FhirServer Server
    {
        get
        {
            Skip.If(store.Unavailable is not null, store.Unavailable);
            return store.Server;
        }
    }

    protected static string NewSystem() => "urn:fhircare:store:" + Guid.NewGuid().ToString("N")[..12];

    protected async Task<T> CreateAsync<T>(T resource) where T : Resource
    {
        var reply = await Server.Http().FhirAsync(HttpMethod.Post, resource.TypeName, resource);
        Assert.True(reply.Status == HttpStatusCode.Created, reply.ToString());
        return reply.As<T>();
    }

    protected static Patient NewPatient(string system, string key, string family, string? birthDate = null) => new()
    {
        Identifier = [new Identifier(system, key)],
        Name = [new HumanName { Family = family, Given = ["Ann"] }],
        BirthDate = birthDate,
    };

    protected static Observation NewObservation(string system, string key, string code, string? patientId, decimal? value = null) => new()
    {
        Identifier = [new Identifier(system, key)],
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", code),
        Subject = patientId is null ? null : new ResourceReference("Patient/" + patientId),
        Value = value is null ? null : new Quantity(value.Value, "mm[Hg]"),
    };

    /// <summary>Every match of a search, following next links; asserts no page repeats an entry.</summary>
    protected async Task<List<string>> SearchAllAsync(string url)
    {
        var http = Server.Http();
        var ids = new List<string>();
        string? next = url;
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 50, "paging did not end");
            var reply = await http.FhirGetAsync(next);
            Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
            var bundle = reply.Json;
            foreach (var entry in bundle["entry"]?.AsArray() ?? [])
                if ((string?)entry!["search"]?["mode"] == "match") ids.Add((string)entry["resource"]!["id"]!);
            next = bundle["link"]!.AsArray().FirstOrDefault(l => (string?)l!["relation"] == "next")?["url"] is { } link
                ? new Uri((string)link!).PathAndQuery.TrimStart('/') : null;
        }
        Assert.Equal(ids.Count, ids.Distinct().Count());
        return ids;
    }

    protected async Task<JsonNode> SearchAsync(string url)
    {
        var reply = await Server.Http().FhirGetAsync(url);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.Json;
    }

}

/// <summary>
/// What every store must do, driven over HTTP: the same tests run on SQLite, on the Cosmos store against the npm
/// emulator (tier 1) and against a real account (tier 2). Each test makes its own data under a fresh identifier
/// system, so the fixtures' servers can be shared by all tests of a class.
/// </summary>
public abstract class StoreBehaviourTests<TStore>(TStore store) : StoreTests<TStore>(store) where TStore : StoreFixture
{

    [SkippableFact]
    public async Task Versions_history_and_tombstones()
    {
        var http = Server.Http();
        var system = NewSystem();
        var created = await CreateAsync(NewPatient(system, "a", "Versioned"));
        created.Name[0].Family = "Versioned-2";
        var updated = await http.FhirAsync(HttpMethod.Put, $"Patient/{created.Id}", created, ("If-Match", "W/\"1\""));
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal("W/\"2\"", updated.ETag);

        var stale = await http.FhirAsync(HttpMethod.Put, $"Patient/{created.Id}", created, ("If-Match", "W/\"1\""));
        await OutcomeAssert.IsOutcomeAsync(stale.Message, 412, OperationOutcome.IssueType.Conflict);

        Assert.Equal("Versioned-2", (await http.FhirGetAsync($"Patient/{created.Id}")).As<Patient>().Name[0].Family);
        Assert.Equal("Versioned", (await http.FhirGetAsync($"Patient/{created.Id}/_history/1")).As<Patient>().Name[0].Family);
        Assert.Equal(HttpStatusCode.NotFound, (await http.FhirGetAsync($"Patient/{created.Id}/_history/3")).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await http.FhirAsync(HttpMethod.Delete, $"Patient/{created.Id}")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await http.FhirGetAsync($"Patient/{created.Id}")).Status);
        Assert.Equal("Versioned-2", (await http.FhirGetAsync($"Patient/{created.Id}/_history/2")).As<Patient>().Name[0].Family);

        var history = (await http.FhirGetAsync($"Patient/{created.Id}/_history")).As<Bundle>();
        Assert.Equal(3, history.Total);
        Assert.Equal(["2", "1"], history.Entry.Where(e => e.Resource is not null).Select(e => e.Resource!.Meta!.VersionId!));
        Assert.Equal([Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.POST], history.Entry.Select(e => e.Request!.Method!.Value));

        // A deleted resource is not found by search
        Assert.Empty(await SearchAllAsync($"Patient?identifier={system}|a"));
    }

    [SkippableFact]
    public async Task Instance_history_pages_newest_first()
    {
        var http = Server.Http();
        var patient = await CreateAsync(NewPatient(NewSystem(), "h", "Paged"));
        for (int i = 2; i <= 5; i++)
        {
            patient.Name[0].Family = $"Paged-{i}";
            Assert.Equal(HttpStatusCode.OK, (await http.FhirAsync(HttpMethod.Put, $"Patient/{patient.Id}", patient)).Status);
        }
        var versions = new List<string>();
        string? next = $"Patient/{patient.Id}/_history?_count=2";
        while (next is not null)
        {
            var page = (await http.FhirGetAsync(next)).As<Bundle>();
            Assert.Equal(5, page.Total);
            versions.AddRange(page.Entry.Select(e => e.Resource!.Meta!.VersionId!));
            next = page.NextLink is { } link ? new Uri(page.NextLink.ToString(), UriKind.RelativeOrAbsolute).PathAndQuery.TrimStart('/') : null;
        }
        Assert.Equal(["5", "4", "3", "2", "1"], versions);
    }

    [SkippableFact]
    public async Task Concurrent_updates_with_the_same_version_let_exactly_one_win()
    {
        var patient = await CreateAsync(NewPatient(NewSystem(), "race", "Race"));
        var replies = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
        {
            var copy = (Patient)patient.DeepCopy();
            copy.Name[0].Family = $"Race-{i}";
            return Server.Http().FhirAsync(HttpMethod.Put, $"Patient/{patient.Id}", copy, ("If-Match", "W/\"1\""));
        }));
        Assert.Equal(1, replies.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(5, replies.Count(r => r.Status == HttpStatusCode.PreconditionFailed));
        var history = (await Server.Http().FhirGetAsync($"Patient/{patient.Id}/_history")).As<Bundle>();
        Assert.Equal(2, history.Total);
    }

    [SkippableFact]
    public async Task Create_with_an_existing_client_id_is_an_update()
    {
        var http = Server.Http();
        var id = "store-" + Guid.NewGuid().ToString("N")[..16];
        var patient = NewPatient(NewSystem(), "c", "ClientId");
        patient.Id = id;
        Assert.Equal(HttpStatusCode.Created, (await http.FhirAsync(HttpMethod.Put, $"Patient/{id}", patient)).Status);
        var second = await http.FhirAsync(HttpMethod.Put, $"Patient/{id}", patient);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("W/\"2\"", second.ETag);
    }

    [SkippableFact]
    public async Task Searches_compile_every_parameter_type()
    {
        var system = NewSystem();
        var ann = await CreateAsync(NewPatient(system, "ann", "Müller", "1970-02-03"));
        var bob = await CreateAsync(NewPatient(system, "bob", "Mullerson", "1985-06-15"));
        var eve = await CreateAsync(NewPatient(system, "eve", "Schmidt"));
        var o1 = await CreateAsync(NewObservation(system, "o1", "8480-6", ann.Id, 120));
        var o2 = await CreateAsync(NewObservation(system, "o2", "8480-6", bob.Id, 145.5m));
        var o3 = await CreateAsync(NewObservation(system, "o3", "8462-4", bob.Id, 80));

        async Task Expect(string query, params Resource[] expected)
        {
            var found = await SearchAllAsync(query + $"&identifier={system}|");
            Assert.True(expected.Select(r => r.Id).Order().SequenceEqual(found.Order()), $"{query}: got {string.Join(",", found)}");
        }
        await Expect("Patient?name=mull", ann, bob);                                   // string: starts with, accents folded
        await Expect("Patient?name:exact=Müller", ann);
        await Expect("Patient?name:contains=ERSO", bob);
        await Expect("Patient?birthdate=ge1980", bob);                                 // date ranges
        await Expect("Patient?birthdate=1970-02", ann);
        await Expect("Patient?birthdate:missing=true", eve);
        await Expect($"Patient?_id={ann.Id},{eve.Id}", ann, eve);
        await Expect("Observation?code=http://loinc.org|8480-6", o1, o2);              // token
        await Expect("Observation?code:not=8480-6", o3);
        await Expect("Observation?value-quantity=gt130", o2);                          // quantity
        await Expect("Observation?value-quantity=120||mm[Hg]", o1);
        await Expect($"Observation?subject=Patient/{bob.Id}", o2, o3);                 // reference
        await Expect("Observation?subject:Patient.name=schmidt");                      // chain, nothing
        await Expect("Observation?subject:Patient.birthdate=lt1980", o1);
        await Expect("Patient?_has:Observation:subject:code=8462-4", bob);             // reverse chain
        await Expect($"Patient/{bob.Id}/Observation?code=8480-6", o2);                 // compartment
        await Expect("Observation?code=8480-6,8462-4&value-quantity=lt100", o3);        // OR and AND
    }

    [SkippableFact]
    public async Task Searches_compile_uri_composite_text_and_last_updated()
    {
        var system = NewSystem();
        var root = $"http://fhircare.org/{Guid.NewGuid():N}";
        var vs1 = await CreateAsync(new ValueSet { Url = $"{root}/ValueSet/a", Status = PublicationStatus.Active, Identifier = [new Identifier(system, "vs1")] });
        var vs2 = await CreateAsync(new ValueSet { Url = $"{root}/ValueSet/a/b", Status = PublicationStatus.Active, Identifier = [new Identifier(system, "vs2")] });
        var bp = new Observation
        {
            Identifier = [new Identifier(system, "bp")],
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "85354-9", "Blood pressure panel"),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(140, "mm[Hg]") },
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8462-4"), Value = new Quantity(90, "mm[Hg]") },
            ],
        };
        bp = await CreateAsync(bp);
        await Wire.Tick();
        var marker = DateTimeOffset.UtcNow;
        await Wire.Tick();
        var later = await CreateAsync(NewObservation(system, "later", "8310-5", null, 37));

        async Task Expect(string query, params Resource[] expected)
        {
            var found = await SearchAllAsync(query + $"&identifier={system}|");
            Assert.True(expected.Select(r => r.Id).Order().SequenceEqual(found.Order()), $"{query}: got {string.Join(",", found)}");
        }
        await Expect($"ValueSet?url={root}/ValueSet/a", vs1);                                        // uri: exact
        await Expect($"ValueSet?url:below={root}/ValueSet", vs1, vs2);                               // uri: below
        await Expect($"ValueSet?url:above={root}/ValueSet/a/b/c", vs1, vs2);                         // uri: above
        await Expect("Observation?component-code-value-quantity=http://loinc.org|8480-6$gt130", bp);  // composite, same component
        await Expect("Observation?component-code-value-quantity=http://loinc.org|8462-4$gt130");     // the 140 is another component's
        await Expect("Observation?code:text=pressure", bp);                                          // token :text
        await Expect($"Observation?_lastUpdated=gt{Wire.Instant(marker)}", later);                   // _lastUpdated
        await Expect("Observation?subject:missing=true", bp, later);
    }

    [SkippableFact]
    public async Task Paging_returns_every_match_once_and_counts_them()
    {
        var system = NewSystem();
        var created = new List<string>();
        for (int i = 0; i < 7; i++) created.Add((await CreateAsync(NewPatient(system, $"p{i}", "Pager"))).Id!);
        var found = await SearchAllAsync($"Patient?identifier={system}|&_count=3");
        Assert.Equal(created.Order(), found.Order());

        var counted = await SearchAsync($"Patient?identifier={system}|&_summary=count");
        Assert.Equal(7, (int)counted["total"]!);
        var total = await SearchAsync($"Patient?identifier={system}|&_count=2&_total=accurate");
        Assert.Equal(7, (int)total["total"]!);
        Assert.Equal(2, total["entry"]!.AsArray().Count);
    }

    [SkippableFact]
    public async Task Include_and_revinclude_add_the_referenced_resources()
    {
        var system = NewSystem();
        var org = await CreateAsync(new Organization { Identifier = [new Identifier(system, "org")], Name = "Clinic" });
        var patient = NewPatient(system, "inc", "Included");
        patient.ManagingOrganization = new ResourceReference("Organization/" + org.Id);
        patient = await CreateAsync(patient);
        var obs = await CreateAsync(NewObservation(system, "io", "8480-6", patient.Id, 110));

        var bundle = await SearchAsync($"Observation?identifier={system}|io&_include=Observation:subject&_include:iterate=Patient:organization");
        var entries = bundle["entry"]!.AsArray().Select(e => ((string)e!["resource"]!["resourceType"]!, (string)e["resource"]!["id"]!, (string)e["search"]!["mode"]!)).ToList();
        Assert.Equal([("Observation", obs.Id, "match"), ("Patient", patient.Id, "include"), ("Organization", org.Id, "include")], entries);

        var reverse = await SearchAsync($"Patient?identifier={system}|inc&_revinclude=Observation:subject");
        Assert.Contains(reverse["entry"]!.AsArray(), e => (string)e!["resource"]!["id"]! == obs.Id && (string)e["search"]!["mode"]! == "include");
    }

    [SkippableFact]
    public async Task Type_history_lists_new_versions_since_a_time()
    {
        var http = Server.Http();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var org = await CreateAsync(new Organization { Name = "History " + Guid.NewGuid().ToString("N") });
        org.Name += " v2";
        Assert.Equal(HttpStatusCode.OK, (await http.FhirAsync(HttpMethod.Put, $"Organization/{org.Id}", org)).Status);
        var history = (await http.FhirGetAsync($"Organization/_history?_since={Wire.Instant(since)}&_count=1000")).As<Bundle>();
        var mine = history.Entry.Where(e => e.Resource?.Id == org.Id).Select(e => e.Resource!.Meta!.VersionId).ToList();
        Assert.Equal(["2", "1"], mine);
    }

    [SkippableFact]
    public async Task Sort_by_last_updated_pages_in_order_both_ways()
    {
        var system = NewSystem();
        var created = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            await Wire.Tick();
            created.Add((await CreateAsync(NewPatient(system, $"s{i}", "Sorted"))).Id!);
        }
        Assert.Equal(created, await SearchAllAsync($"Patient?identifier={system}|&_sort=_lastUpdated&_count=2"));
        var descending = Enumerable.Reverse(created).ToList();
        Assert.Equal(descending, await SearchAllAsync($"Patient?identifier={system}|&_sort=-_lastUpdated&_count=2"));

        // Back from the last page with the previous links
        var page = await SearchAsync($"Patient?identifier={system}|&_sort=_lastUpdated&_count=2");
        var next = (string)page["link"]!.AsArray().First(l => (string?)l!["relation"] == "next")!["url"]!;
        page = await SearchAsync(new Uri(next).PathAndQuery.TrimStart('/'));
        var previous = (string)page["link"]!.AsArray().First(l => (string?)l!["relation"] == "previous")!["url"]!;
        page = await SearchAsync(new Uri(previous).PathAndQuery.TrimStart('/'));
        Assert.Equal(created.Take(2), page["entry"]!.AsArray().Select(e => (string)e!["resource"]!["id"]!));
    }

    /// <summary>ScanAsync, ReindexAsync and the index fingerprints, as the re-indexer uses them at start-up.</summary>
    [SkippableFact]
    public async Task Resources_written_without_indexing_are_reindexed_at_the_next_start()
    {
        _ = Server; // skips when the store is unavailable
        var settings = Store.NewStoreSettings();
        var family = "Reindexed" + Guid.NewGuid().ToString("N")[..8];
        async Task<int> FoundAsync(FhirServer server) => (await server.Http().FhirGetAsync($"Patient?family={family}")).As<Bundle>().Entry.Count;

        settings["Search:IndexOnWrite"] = "false";
        using (var off = FhirServer.With(settings))
        {
            for (int i = 0; i < 3; i++)
                Assert.Equal(HttpStatusCode.Created, (await off.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Name = [new HumanName { Family = family }] })).Status);
            Assert.Equal(0, await FoundAsync(off));
        }
        settings["Search:IndexOnWrite"] = "true";
        using var on = FhirServer.With(settings);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await FoundAsync(on) < 3 && DateTime.UtcNow < deadline) await System.Threading.Tasks.Task.Delay(200);
        Assert.Equal(3, await FoundAsync(on));
    }

    [SkippableFact]
    public async Task A_cursor_the_server_did_not_issue_is_a_400()
    {
        var reply = await Server.Http().FhirGetAsync("Patient?_cursor=bm90LWEtY3Vyc29y");
        await OutcomeAssert.IsOutcomeAsync(reply.Message, 400, OperationOutcome.IssueType.Invalid);
    }
}

public sealed class SqliteStoreBehaviourTests(SqliteStore store) : StoreBehaviourTests<SqliteStore>(store), IClassFixture<SqliteStore>;

public sealed class CosmosEmulatorStoreBehaviourTests(CosmosEmulatorStore store) : StoreBehaviourTests<CosmosEmulatorStore>(store), IClassFixture<CosmosEmulatorStore>;

public sealed class CosmosAccountStoreBehaviourTests(CosmosAccountStore store) : StoreBehaviourTests<CosmosAccountStore>(store), IClassFixture<CosmosAccountStore>;
