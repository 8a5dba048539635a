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
