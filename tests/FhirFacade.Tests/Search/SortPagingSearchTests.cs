using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// What shapes a result rather than the match (search.html#sort, #count, #total, #summary, http.html#search): _sort on
/// several keys of several types, ascending and descending; _count paging followed through every next link; _total;
/// _summary=count; and POST [type]/_search with form parameters answering as GET does.
/// </summary>
public sealed class SortPagingSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Synthea = "Patient/" + SearchCorpus.SyntheaPatient;

    /// <summary>The expected matches in order, worked out from the fixture's resources of one type.</summary>
    public sealed record Ordering(string Description, Func<IEnumerable<Resource>, IEnumerable<Resource>> Sort, bool Ordered = true)
    {
        public override string ToString() => Description;

        public List<string> Of(IEnumerable<Resource> resources) => Sort(resources).Select(r => $"{r.TypeName}/{r.Id}").ToList();
    }

    private static Ordering Order<T>(string description, Func<IEnumerable<T>, IEnumerable<T>> sort) where T : Resource =>
        new(description, rs => sort(rs.OfType<T>()));

    private static Ordering Unordered<T>(string description) where T : Resource => new(description, rs => rs.OfType<T>(), Ordered: false);

    private static DateTimeOffset Effective(Observation o) => ((FhirDateTime)o.Effective!).ToDateTimeOffset(TimeSpan.Zero);

    private static bool HasHeight(Observation o) => o.Code.Coding.Any(c => c is { System: "http://loinc.org", Code: "8302-2" });

    public static TheoryData<string, string, Ordering> Sorts => new()
    {
        { "Patient", "birthdate:missing=false&_sort=birthdate,_id", Order<Patient>("by birth date, then id",
            ps => ps.Where(p => p.BirthDate is not null).OrderBy(p => p.BirthDate, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)) },
        { "Patient", "birthdate:missing=false&_sort=-birthdate,_id", Order<Patient>("by birth date descending, then id",
            ps => ps.Where(p => p.BirthDate is not null).OrderByDescending(p => p.BirthDate, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)) },
        { "Patient", "birthdate:missing=false&_sort=-birthdate,-_id", Order<Patient>("by birth date descending, then id descending",
            ps => ps.Where(p => p.BirthDate is not null).OrderByDescending(p => p.BirthDate, StringComparer.Ordinal).ThenByDescending(p => p.Id, StringComparer.Ordinal)) },
        { "Patient", "gender:missing=false&birthdate:missing=false&_sort=gender,-birthdate,_id", Order<Patient>("by gender, birth date descending, id",
            ps => ps.Where(p => p.Gender is not null && p.BirthDate is not null).OrderBy(p => p.Gender.ToString()!.ToLowerInvariant(), StringComparer.Ordinal)
                .ThenByDescending(p => p.BirthDate, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)) },
        { "Patient", "_sort=_id", Order<Patient>("by id", ps => ps.OrderBy(p => p.Id, StringComparer.Ordinal)) },
        { "Patient", "_sort=-_id", Order<Patient>("by id descending", ps => ps.OrderByDescending(p => p.Id, StringComparer.Ordinal)) },
        { "TestScript", "_sort=name", Order<TestScript>("by name", ts => ts.OrderBy(t => t.Name!.ToLowerInvariant(), StringComparer.Ordinal)) },
        { "TestScript", "_sort=-name", Order<TestScript>("by name descending", ts => ts.OrderByDescending(t => t.Name!.ToLowerInvariant(), StringComparer.Ordinal)) },
        { "Observation", "code=http://loinc.org|8302-2&_sort=-date,_id", Order<Observation>("heights, latest first",
            os => os.Where(HasHeight).OrderByDescending(Effective).ThenBy(o => o.Id, StringComparer.Ordinal)) },
        { "Observation", $"subject={Synthea}&value-quantity:missing=false&_sort=value-quantity,_id", Order<Observation>("Synthea values, smallest first",
            os => os.Where(o => o.Subject?.Reference == Synthea && o.Value is Quantity).OrderBy(o => ((Quantity)o.Value!).Value).ThenBy(o => o.Id, StringComparer.Ordinal)) },
        { "Observation", $"subject={Synthea}&value-quantity:missing=false&_sort=-date,-value-quantity", Order<Observation>("Synthea values, latest then largest first",
            os => os.Where(o => o.Subject?.Reference == Synthea && o.Value is Quantity).OrderByDescending(Effective).ThenByDescending(o => ((Quantity)o.Value!).Value)) },
        { "AuditEvent", "_sort=-date", Order<AuditEvent>("latest first", es => es.OrderByDescending(e => e.Recorded)) },
        { "Condition", "onset-date:missing=false&_sort=onset-date", Order<Condition>("earliest onset first",
            cs => cs.Where(c => c.Onset is FhirDateTime).OrderBy(c => ((FhirDateTime)c.Onset!).ToDateTimeOffset(TimeSpan.Zero))) },
    };

    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task Sort_orders_the_matches(string type, string query, Ordering expected)
    {
        var found = await corpus.MatchKeysAsync(type, query);

        Assert.Equal(expected.Of(corpus.All(type)), found);
    }

    public static TheoryData<string, string, int, Ordering> Pagings => new()
    {
        { "Observation", "", 7, Unordered<Observation>("every observation") },
        { "Observation", $"subject={Synthea}&_sort=-date,_id", 10, Order<Observation>("Synthea observations, latest first",
            os => os.Where(o => o.Subject?.Reference == Synthea).OrderByDescending(Effective).ThenBy(o => o.Id, StringComparer.Ordinal)) },
        { "Patient", "_sort=family", 4, Unordered<Patient>("every patient") },
        { "Patient", "_sort=_id", 1, Order<Patient>("every patient by id", ps => ps.OrderBy(p => p.Id, StringComparer.Ordinal)) },
        { "Observation", "code=http://loinc.org|8302-2&_sort=-date,_id", 2, Order<Observation>("heights, latest first",
            os => os.Where(HasHeight).OrderByDescending(Effective).ThenBy(o => o.Id, StringComparer.Ordinal)) },
    };

    [Theory]
    [MemberData(nameof(Pagings))]
    public async Task Count_pages_through_every_match_once_following_next_links(string type, string query, int count, Ordering expected)
    {
        var all = expected.Of(corpus.All(type));
        var pages = new List<Bundle>();
        var http = corpus.Server.Http();

        for (var url = $"{type}?{SearchCorpus.Query($"{query}&_count={count}&_total=accurate")}"; url is not null; url = SearchCorpus.Link(pages[^1], "next"))
        {
            var reply = await http.FhirGetAsync(url);
            Assert.True(reply.Status == HttpStatusCode.OK, $"{url}: {reply}");
            pages.Add(reply.As<Bundle>());
            Assert.True(pages.Count <= all.Count + 1, "the next links never end");
        }

        var keys = pages.SelectMany(SearchCorpus.Matches).Select(r => $"{r.TypeName}/{r.Id}").ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        if (expected.Ordered) Assert.Equal(all, keys);
        else Assert.Equal(all.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.Equal((all.Count + count - 1) / count, pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal(count, SearchCorpus.Matches(p).Count()));
        Assert.All(pages, p => Assert.Equal(all.Count, p.Total));
    }

    public static TheoryData<string, string, Oracle> Totals => new()
    {
        { "Observation", "", new("every observation", _ => true) },
        { "Patient", "gender=female", new("female", r => ((Patient)r).Gender == AdministrativeGender.Female) },
        { "Observation", "code=http://loinc.org|85354-9&_include=Observation:subject", new("blood pressure panels", r => ((Observation)r).Code.Coding.Any(c => c.Code == "85354-9")) },
        { "Encounter", "date=2021", new("Synthea encounters", r => ((Encounter)r).Subject?.Reference == $"Patient/{SearchCorpus.SyntheaPatient}") },
        { "Procedure", "code=http://snomed.info/sct|no-such-code", new("nothing", _ => false) },
    };

    [Theory]
    [MemberData(nameof(Totals))]
    public async Task Total_accurate_counts_every_match_beyond_the_page(string type, string query, Oracle expected)
    {
        var bundle = await corpus.SearchAsync(type, $"{query}&_total=accurate&_count=2");

        var total = corpus.All(type).Count(expected.Matches);
        Assert.Equal(total, bundle.Total);
        Assert.Equal(Math.Min(2, total), SearchCorpus.Matches(bundle).Count());
        Assert.Equal(total > 2, SearchCorpus.Link(bundle, "next") is not null);
    }

    [Theory]
    [MemberData(nameof(Totals))]
    public async Task Summary_count_answers_the_total_without_entries(string type, string query, Oracle expected)
    {
        var bundle = await corpus.SearchAsync(type, $"{query}&_summary=count");

        Assert.Equal(corpus.All(type).Count(expected.Matches), bundle.Total);
        Assert.DoesNotContain(bundle.Entry, e => e.Search?.Mode != Bundle.SearchEntryMode.Outcome);
    }

    [Theory]
    [InlineData("Patient", "family=chalmers", "", "example")]
    [InlineData("Patient", "birthdate=ge1970&birthdate=lt1980&_sort=-birthdate,_id", "", "ch-example example genetics-example1 mom")]
    [InlineData("Patient", "gender=male,other&_count=3&_sort=_id", "", "ch-example dicom example")]
    [InlineData("Patient", "identifier=urn:oid:0.1.2.3.4.5.6.7|", "", "pat1 pat2 pat3 pat4")]
    [InlineData("Patient", "_has:Observation:subject:code=http://loinc.org|85354-9", "", "example 8a4c9c04")]
    [InlineData("Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt110&_include=Observation:subject", "", "71599c70 c04d5af9 4f711953")]
    [InlineData("Observation", "subject:Patient.name=zandra&value-quantity=lt10|http://unitsofmeasure.org|kg", "", "66d8a7e8 4b93053c cf94bda7")]
    [InlineData("Observation", "value-quantity=gt100", "code:text=platelet", "ad3e39da 69a4c473")]
    [InlineData("Encounter", "date=ge2021-05", "_sort=-date", "emerg 41560e10 4a8d5530")]
    public async Task Post_search_with_a_form_answers_as_get(string type, string form, string url, string expected)
    {
        var all = string.Join('&', new[] { url, form }.Where(s => s.Length > 0));
        var get = await corpus.Server.Http().FhirGetAsync($"{type}?{SearchCorpus.Query(all)}");

        var fields = form.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1]));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{type}/_search{(url.Length > 0 ? "?" + SearchCorpus.Query(url) : "")}") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Accept.ParseAdd(Wire.FhirJson);
        using var response = await corpus.Server.Http().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, get.Status);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {type}/_search: {(int)response.StatusCode} {body}");
        var (getBundle, post) = (get.As<Bundle>(), new FhirJsonDeserializer().Deserialize<Bundle>(body));
        var matches = SearchCorpus.Matches(post).Select(r => $"{r.TypeName}/{r.Id}").Order(StringComparer.Ordinal);
        Assert.Equal(corpus.Keys(type, expected).Order(StringComparer.Ordinal), matches);
        Assert.Equal(getBundle.Entry.Select(e => (e.FullUrl, e.Search?.Mode)), post.Entry.Select(e => (e.FullUrl, e.Search?.Mode)));
        Assert.Equal(getBundle.Total, post.Total);
        Assert.Equal(SearchCorpus.Link(getBundle, "next"), SearchCorpus.Link(post, "next"));
        Assert.Equal(Decode(SearchCorpus.Link(getBundle, "self")), Decode(SearchCorpus.Link(post, "self")));
    }

    private static string? Decode(string? link) => link is null ? null : Uri.UnescapeDataString(link);
}
