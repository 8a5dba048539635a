using System.Collections.Concurrent;
using System.Net;
using Hl7.Fhir.Model;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Search;

[Collection(ServerCollection.Name)]
public sealed class BasicSearchTests(FhirServer server)
{
    /// <summary>
    /// One data set per server: patients p1..p5 (created out of order, so that no sort happens to match creation order) and observations o1..o4, each carrying an identifier in
    /// <see cref="Data.System"/>, which every query adds so that it sees only these resources.
    /// </summary>
    private sealed record Data(string Run, string System, IReadOnlyDictionary<string, Resource> Resources)
    {
        public string Id(string key) => Resources[key].Id;
        public string KeyOf(string id) => Resources.Single(r => r.Value.Id == id).Key;
    }

    private static readonly ConcurrentDictionary<FhirServer, Lazy<Task<Data>>> DataSets = new();

    private Task<Data> DataAsync() => DataSets.GetOrAdd(server, s => new Lazy<Task<Data>>(() => SeedAsync(s))).Value;

    private static async Task<Data> SeedAsync(FhirServer server)
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        var system = $"urn:fhircare:search:{run}";
        var http = server.Http();
        var resources = new Dictionary<string, Resource>();

        Patient Patient(string key, string family, string given, AdministrativeGender? gender, string? birthDate, params Identifier[] more) => new()
        {
            Identifier = [new Identifier(system, key), .. more],
            Name = [new HumanName { Family = family, Given = [given] }],
            Gender = gender,
            BirthDate = birthDate,
        };
        var patients = new[]
        {
            ("p3", Patient("p3", "Mullerson", "Carl", AdministrativeGender.Male, "1980-06-20")),
            ("p5", Patient("p5", "Schmidt", "Eve", null, "1990-12-31")),
            ("p1", Patient("p1", "Müller", "Ann", AdministrativeGender.Female, "1970-02-03", new Identifier("urn:fhircare:mrn", $"{run}-111"))),
            ("p2", Patient("p2", "Muller", "Bob", AdministrativeGender.Male, "1980-06-15", new Identifier("urn:fhircare:mrn", $"{run}-nosys"))),
            ("p4", Patient("p4", "Dubois-Mull", "Dora", AdministrativeGender.Other, null, new Identifier { Value = $"{run}-nosys" })),
        };
        foreach (var (key, patient) in patients)
        {
            await Wire.Tick();
            var reply = await http.FhirAsync(HttpMethod.Post, "Patient", patient);
            Assert.Equal(HttpStatusCode.Created, reply.Status);
            resources[key] = reply.As<Patient>();
        }

        Observation Observation(string key, string code, string? subject) => new()
        {
            Identifier = [new Identifier(system, key)],
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("urn:fhircare:obs", $"{run}-{code}"),
            Subject = subject is null ? null : new ResourceReference($"Patient/{resources[subject].Id}"),
        };
        foreach (var (key, observation) in new[]
                 {
                     ("o1", Observation("o1", "hr", "p1")),
                     ("o2", Observation("o2", "bp", "p1")),
                     ("o3", Observation("o3", "hr", "p2")),
                     ("o4", Observation("o4", "hr", null)),
                 })
        {
            var reply = await http.FhirAsync(HttpMethod.Post, "Observation", observation);
            Assert.Equal(HttpStatusCode.Created, reply.Status);
            resources[key] = reply.As<Observation>();
        }
        return new Data(run, system, resources);
    }

    /// <summary>Replaces {run}, {p1}.. (ids) and {p1.lastUpdated}.. (instants) in a query value.</summary>
    private static string Fill(Data data, string value)
    {
        value = value.Replace("{run}", data.Run);
        foreach (var (key, resource) in data.Resources)
            value = value.Replace($"{{{key}.lastUpdated}}", Wire.Instant(resource.Meta.LastUpdated!.Value)).Replace($"{{{key}}}", resource.Id);
        return value;
    }

    /// <summary>"a=1&amp;b=2" with placeholders filled and values escaped, restricted to this data set.</summary>
    private static string Url(Data data, string type, string query)
    {
        var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (p[0], Fill(data, p[1])))
            .Append(("identifier", data.System + "|"))
            .ToArray();
        return $"{type}?{Wire.Query(parameters)}";
    }

    private async Task<Bundle> SearchAsync(string url, params (string, string)[] headers)
    {
        var reply = await server.Http().FhirGetAsync(url, headers);
        Assert.True(reply.Status == HttpStatusCode.OK, $"{url}: {reply}");
        var bundle = reply.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        return bundle;
    }

    private static IEnumerable<Resource> Matches(Bundle bundle) =>
        bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource);

    private static string? Link(Bundle bundle, string relation) => bundle.Link.FirstOrDefault(l => l.Relation == relation)?.Url;

    [Theory]
    [InlineData("Patient", "family=mul", "p1 p2 p3")]
    [InlineData("Patient", "family=MÜLLER", "p1 p2 p3")]
    [InlineData("Patient", "family=muller", "p1 p2 p3")]
    [InlineData("Patient", "family=Mullers", "p3")]
    [InlineData("Patient", "family=dubois-m", "p4")]
    [InlineData("Patient", "family:exact=Müller", "p1")]
    [InlineData("Patient", "family:exact=Muller", "p2")]
    [InlineData("Patient", "family:exact=müller", "")]
    [InlineData("Patient", "family:exact=Mull", "")]
    [InlineData("Patient", "family:contains=ULL", "p1 p2 p3 p4")]
    [InlineData("Patient", "family:contains=erso", "p3")]
    [InlineData("Patient", "name=bob", "p2")]
    [InlineData("Patient", "name=schm", "p5")]
    [InlineData("Patient", "family=nobody-{run}", "")]
    [InlineData("Patient", "gender=male", "p2 p3")]
    [InlineData("Patient", "gender=male,other", "p2 p3 p4")]
    [InlineData("Patient", "gender=http://hl7.org/fhir/administrative-gender|male", "p2 p3")]
    [InlineData("Patient", "gender=urn:wrong-system|male", "")]
    [InlineData("Patient", "gender:not=male", "p1 p4 p5")]
    [InlineData("Patient", "identifier=urn:fhircare:mrn|{run}-111", "p1")]
    [InlineData("Patient", "identifier={run}-nosys", "p2 p4")]
    [InlineData("Patient", "identifier=|{run}-nosys", "p4")]
    [InlineData("Patient", "identifier=urn:fhircare:mrn|", "p1 p2")]
    [InlineData("Patient", "identifier:not=urn:fhircare:mrn|{run}-111", "p2 p3 p4 p5")]
    [InlineData("Patient", "birthdate=1980", "p2 p3")]
    [InlineData("Patient", "birthdate=1980-06", "p2 p3")]
    [InlineData("Patient", "birthdate=1980-06-15", "p2")]
    [InlineData("Patient", "birthdate=eq1980-06-15", "p2")]
    [InlineData("Patient", "birthdate=gt1980-06-15", "p3 p5")]
    [InlineData("Patient", "birthdate=ge1980-06-15", "p2 p3 p5")]
    [InlineData("Patient", "birthdate=lt1980-06-15", "p1")]
    [InlineData("Patient", "birthdate=le1980-06-15", "p1 p2")]
    [InlineData("Patient", "birthdate=gt1980", "p5")]
    [InlineData("Patient", "birthdate=lt1980", "p1")]
    [InlineData("Patient", "birthdate=ge1980-06", "p2 p3 p5")]
    [InlineData("Patient", "birthdate=le1970-02", "p1")]
    [InlineData("Patient", "birthdate=ge1980-01-01&birthdate=le1980-12-31", "p2 p3")]
    [InlineData("Patient", "birthdate:missing=true", "p4")]
    [InlineData("Patient", "birthdate:missing=false", "p1 p2 p3 p5")]
    [InlineData("Patient", "gender:missing=true", "p5")]
    [InlineData("Patient", "_id={p1},{p3}", "p1 p3")]
    [InlineData("Patient", "_id=no-such-{run}", "")]
    [InlineData("Patient", "_lastUpdated=gt{p1.lastUpdated}", "p2 p4")]
    [InlineData("Patient", "_lastUpdated=le{p5.lastUpdated}", "p3 p5")]
    [InlineData("Patient", "_lastUpdated=ge{p2.lastUpdated}", "p2 p4")]
    [InlineData("Observation", "subject=Patient/{p1}", "o1 o2")]
    [InlineData("Observation", "subject={p1}", "o1 o2")]
    [InlineData("Observation", "subject:Patient={p1}", "o1 o2")]
    [InlineData("Observation", "patient=Patient/{p2}", "o3")]
    [InlineData("Observation", "subject=Patient/{p3}", "")]
    [InlineData("Observation", "subject:missing=true", "o4")]
    [InlineData("Observation", "code=urn:fhircare:obs|{run}-hr", "o1 o3 o4")]
    [InlineData("Observation", "subject:Patient.name=bob", "o3")]
    [InlineData("Observation", "subject:Patient.family=müller", "o1 o2 o3")]
    [InlineData("Observation", "subject:Patient.gender=female", "o1 o2")]
    [InlineData("Patient", "_has:Observation:subject:code=urn:fhircare:obs|{run}-hr", "p1 p2")]
    [InlineData("Patient", "_has:Observation:subject:code=urn:fhircare:obs|{run}-bp", "p1")]
    [InlineData("Patient", "_has:Observation:patient:code=urn:fhircare:obs|{run}-none", "")]
    public async Task Search_finds_exactly_the_matching_resources(string type, string query, string expected)
    {
        var data = await DataAsync();

        var bundle = await SearchAsync(Url(data, type, query));

        var found = Matches(bundle).Select(r => data.KeyOf(r.Id)).Order().ToList();
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), found);
        Assert.All(Matches(bundle), r => Assert.Equal(type, r.TypeName));
    }

    [Theory]
    [InlineData("birthdate", "p1 p2 p3 p5")]
    [InlineData("-birthdate", "p5 p3 p2 p1")]
    [InlineData("given", "p1 p2 p3 p4 p5")]
    [InlineData("-given", "p5 p4 p3 p2 p1")]
    [InlineData("gender,-birthdate", "p1 p3 p2 p4")]
    public async Task Sort_orders_the_matches_that_have_a_value(string sort, string expected)
    {
        var data = await DataAsync();
        var order = expected.Split(' ');

        var bundle = await SearchAsync(Url(data, "Patient", $"_sort={sort}"));

        var keys = Matches(bundle).Select(r => data.KeyOf(r.Id)).ToList();
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], keys.Order());
        Assert.Equal(order, keys.Where(order.Contains));
    }

    [Fact]
    public async Task Count_pages_through_next_links()
    {
        var data = await DataAsync();
        var pages = new List<Bundle>();

        for (var url = Url(data, "Patient", "_count=2"); url is not null; url = Link(pages[^1], "next"))
        {
            pages.Add(await SearchAsync(url));
            Assert.True(pages.Count <= 5, "the next links never end");
        }

        Assert.Equal([2, 2, 1], pages.Select(p => Matches(p).Count()));
        var keys = pages.SelectMany(Matches).Select(r => data.KeyOf(r.Id)).ToList();
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], keys.Order());
        Assert.All(pages, p => Assert.Contains(Uri.EscapeDataString(data.System), Link(p, "self")));
    }

    [Fact]
    public async Task Unknown_parameter_is_ignored_and_reported_when_lenient()
    {
        var data = await DataAsync();

        var bundle = await SearchAsync(Url(data, "Patient", "colour=blue"));

        Assert.Equal(5, Matches(bundle).Count());
        var outcome = Assert.Single(bundle.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Outcome);
        var issue = Assert.Single(Assert.IsType<OperationOutcome>(outcome.Resource).Issue);
        Assert.Contains("colour", issue.Diagnostics + string.Join(' ', issue.Expression));
        Assert.DoesNotContain("colour", Link(bundle, "self"));
        Assert.Contains("identifier", Link(bundle, "self"));
    }

    [Theory]
    [InlineData("colour=blue", "colour")]
    [InlineData("family:sounds-like=mul", "family")]
    [InlineData("_count=-1", "_count")]
    [InlineData("_count=lots", "_count")]
    [InlineData("birthdate=yesterday", "birthdate")]
    [InlineData("birthdate=xx2000", "birthdate")]
    [InlineData("_sort=nonsense", "_sort")]
    [InlineData("subject:Patient.name=x", "subject")]
    public async Task Invalid_searches_are_400_naming_the_parameter_when_strict(string query, string parameter)
    {
        var data = await DataAsync();

        var reply = await server.Http().FhirGetAsync(Url(data, "Patient", query), ("Prefer", "handling=strict"));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        var issue = Assert.Single(reply.As<OperationOutcome>().Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Contains(parameter, issue.Diagnostics + string.Join(' ', issue.Expression));
    }

    [Theory]
    [InlineData("_count=-1")]
    [InlineData("birthdate=yesterday")]
    [InlineData("family:sounds-like=mul")]
    public async Task Invalid_values_are_400_even_when_lenient(string query)
    {
        var data = await DataAsync();

        var reply = await server.Http().FhirGetAsync(Url(data, "Patient", query));

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.NotEmpty(reply.As<OperationOutcome>().Issue);
    }
}
