using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Unsorted searches walk the index of their driving condition in key order (reference, token, string, uri, date
/// ascending or descending). Paging through such a walk, forwards and back, must give exactly the matches of the
/// same search in one page, each once.
/// </summary>
public sealed class WalkPagingTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Synthea = "Patient/" + SearchCorpus.SyntheaPatient;

    [Theory]
    [InlineData("Observation", $"subject={Synthea}", 7)]
    [InlineData("Observation", $"subject={Synthea}&code=http://loinc.org|8302-2,http://loinc.org|29463-7", 1)]
    [InlineData("Observation", "code=http://loinc.org|8302-2", 1)]
    [InlineData("Observation", "code=8302-2", 2)]
    [InlineData("Patient", "name=j", 1)]
    [InlineData("Patient", "family:exact=Solo", 2)]
    [InlineData("Observation", "date=lt2021-06-01", 3)]
    [InlineData("Observation", "date=ge2015&date=lt2022", 4)]
    [InlineData("Observation", "date=gt2012", 5)]
    [InlineData("Observation", "date=sa2012-01-01&status=final", 5)]
    [InlineData("Encounter", "date=2021", 2)]
    [InlineData("Patient", "birthdate=le1975&gender=female", 1)]
    public async Task Pages_forward_and_back_give_every_match_once(string type, string query, int count)
    {
        var whole = await corpus.MatchKeysAsync(type, query);
        Assert.True(whole.Count > count, $"{type}?{query} should need several pages (has {whole.Count} matches)");
        var http = corpus.Server.Http();

        var pages = new List<Bundle>();
        for (var url = $"{type}?{SearchCorpus.Query($"{query}&_count={count}")}"; url is not null; url = SearchCorpus.Link(pages[^1], "next"))
        {
            pages.Add(await PageAsync(http, url));
            Assert.True(pages.Count <= whole.Count + 1, "the next links never end");
        }
        var forward = pages.Select(Keys).ToList();
        var keys = forward.SelectMany(k => k).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(whole.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.All(forward.SkipLast(1), page => Assert.Equal(count, page.Count));

        var backward = new List<List<string>> { forward[^1] };
        for (var url = SearchCorpus.Link(pages[^1], "previous"); url is not null; url = SearchCorpus.Link(pages[^backward.Count], "previous"))
        {
            var page = await PageAsync(http, url);
            pages.Insert(pages.Count - backward.Count, page);
            backward.Insert(0, Keys(page));
            Assert.True(backward.Count <= forward.Count, "the previous links never end");
        }
        Assert.Equal(forward, backward);
    }

    [Fact]
    public async Task A_resource_matching_through_several_index_rows_is_returned_once_per_walk()
    {
        using var server = new FhirServer();
        var http = server.Http();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await http.FhirAsync(HttpMethod.Post, "Patient", new Patient
            {
                Name = [new HumanName { Family = $"Smithson{i}", Given = ["Smith", "Smitty"] }, new HumanName { Family = "Smyth", Given = ["Smithy"] }],
            })).Status);

        var keys = new List<string>();
        for (var url = "Patient?name=smi&_count=1"; url is not null;)
        {
            var page = await PageAsync(http, url);
            keys.AddRange(Keys(page));
            url = SearchCorpus.Link(page, "next");
        }
        Assert.Equal(3, keys.Count);
        Assert.Equal(3, keys.Distinct().Count());
    }

    private static async Task<Bundle> PageAsync(HttpClient http, string url)
    {
        var reply = await http.FhirGetAsync(url);
        Assert.True(reply.Status == HttpStatusCode.OK, $"{url}: {reply}");
        return reply.As<Bundle>();
    }

    private static List<string> Keys(Bundle page) => SearchCorpus.Matches(page).Select(r => $"{r.TypeName}/{r.Id}").ToList();
}

/// <summary>
/// The store picks a search's driving condition from the data (a common code gives way to a closed date window); a
/// paging cursor keeps the choice made for its first page, so next links keep working when the data tips the choice.
/// </summary>
public sealed class WalkChoiceTests
{
    private static Observation Reading(string code, DateTimeOffset when) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", code),
        Effective = new FhirDateTime(when),
    };

    [Fact]
    public async Task Next_links_survive_the_data_tipping_the_driver_choice()
    {
        using var server = new FhirServer();
        var http = server.Http();
        var march = new DateTimeOffset(2024, 3, 1, 8, 0, 0, TimeSpan.Zero);
        async Task AddAsync(string code, DateTimeOffset when) =>
            Assert.Equal(HttpStatusCode.Created, (await http.FhirAsync(HttpMethod.Post, "Observation", Reading(code, when))).Status);

        for (var i = 0; i < 6; i++) await AddAsync("4548-4", march.AddDays(i));
        await AddAsync("4548-4", march.AddMonths(-2));
        await AddAsync("2093-3", march.AddDays(2));
        const string query = "Observation?code=http://loinc.org|4548-4&date=ge2024-03-01&date=lt2024-04-01&_count=2";
        var first = (await http.FhirGetAsync(query)).As<Bundle>();
        var seen = SearchCorpusKeys(first);

        // Enough readings with the code, outside the window, that a fresh search would now walk the window instead.
        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => AddAsync("4548-4", march.AddYears(-1).AddMinutes(i))));
        for (var url = SearchCorpus.Link(first, "next"); url is not null;)
        {
            var reply = await http.FhirGetAsync(url);
            Assert.True(reply.Status == HttpStatusCode.OK, $"{url}: {reply}");
            var page = reply.As<Bundle>();
            seen.AddRange(SearchCorpusKeys(page));
            url = SearchCorpus.Link(page, "next");
        }
        Assert.Equal(6, seen.Count);
        Assert.Equal(6, seen.Distinct().Count());

        var fresh = (await http.FhirGetAsync(query.Replace("_count=2", "_count=50"))).As<Bundle>();
        Assert.Equal(seen.Order(), SearchCorpusKeys(fresh).Order());
    }

    private static List<string> SearchCorpusKeys(Bundle page) => SearchCorpus.Matches(page).Select(r => r.Id).ToList();
}
