using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>Search paging with keyset cursors: next/previous links stay correct while resources come and go.</summary>
[Collection(ServerCollection.Name)]
public sealed class PagingTests(FhirServer server)
{
    private async Task<List<string>> CreatePatientsAsync(string family, params string?[] birthDates)
    {
        var ids = new List<string>();
        foreach (var birthDate in birthDates)
        {
            var reply = await server.Http().FhirAsync(HttpMethod.Post, "Patient", new Patient { Name = [new HumanName { Family = family }], BirthDate = birthDate });
            Assert.Equal(HttpStatusCode.Created, reply.Status);
            ids.Add(reply.As<Patient>().Id);
        }
        return ids;
    }

    private async Task<Bundle> GetAsync(string url)
    {
        var reply = await server.Http().FhirGetAsync(url);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.As<Bundle>();
    }

    private static string? LinkOf(Bundle bundle, string relation) => bundle.Link.FirstOrDefault(l => l.Relation == relation)?.Url;

    private static List<string> Ids(Bundle bundle) => bundle.Entry.Select(e => e.Resource.Id).ToList();

    [Fact]
    public async Task Pages_neither_repeat_nor_skip_while_resources_are_added_and_deleted()
    {
        var family = "Paging" + Guid.NewGuid().ToString("N")[..8];
        var ids = await CreatePatientsAsync(family, "1970-01-01", "1971-01-01", "1972-01-01", "1973-01-01", "1974-01-01", "1975-01-01", "1976-01-01");

        var page = await GetAsync($"Patient?family:exact={family}&_count=3");
        var seen = Ids(page);
        Assert.Equal(3, seen.Count);

        var deletedLater = ids.First(id => !seen.Contains(id));
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{seen[0]}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Http().FhirAsync(HttpMethod.Delete, $"Patient/{deletedLater}")).Status);
        var added = (await CreatePatientsAsync(family, "1980-01-01"))[0];

        while (LinkOf(page, "next") is { } next)
        {
            page = await GetAsync(next);
            seen.AddRange(Ids(page));
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        var expected = ids.Where(id => id != deletedLater).Append(added).ToList();
        Assert.Equal(expected.OrderBy(x => x), seen.OrderBy(x => x));
    }

    [Fact]
    public async Task Previous_link_returns_the_page_before()
    {
        var family = "Paging" + Guid.NewGuid().ToString("N")[..8];
        await CreatePatientsAsync(family, "1970-01-01", "1971-01-01", "1972-01-01", "1973-01-01", "1974-01-01");

        var first = await GetAsync($"Patient?family:exact={family}&_count=2");
        Assert.Null(LinkOf(first, "previous"));
        var second = await GetAsync(LinkOf(first, "next")!);
        var back = await GetAsync(LinkOf(second, "previous")!);

        Assert.Equal(Ids(first), Ids(back));
        Assert.NotEqual(Ids(first), Ids(second));
        Assert.NotNull(LinkOf(back, "next"));
    }

    [Theory]
    [InlineData("birthdate")]
    [InlineData("-birthdate")]
    [InlineData("-birthdate,_id")]
    [InlineData("_lastUpdated")]
    public async Task Paging_a_sorted_search_gives_the_same_order_as_one_page(string sort)
    {
        var family = "Paging" + Guid.NewGuid().ToString("N")[..8];
        await CreatePatientsAsync(family, "1990-05-01", null, "1980-01-01", "1990-05-01", null, "2001-12-31", "1985-07-04");

        var whole = Ids(await GetAsync($"Patient?family:exact={family}&_sort={sort}&_count=100"));
        var paged = new List<string>();
        var page = await GetAsync($"Patient?family:exact={family}&_sort={sort}&_count=2");
        paged.AddRange(Ids(page));
        while (LinkOf(page, "next") is { } next)
        {
            page = await GetAsync(next);
            paged.AddRange(Ids(page));
        }

        Assert.Equal(7, whole.Count);
        Assert.Equal(whole, paged);
    }

    [Theory]
    [InlineData("not-a-cursor")]
    [InlineData("eyJiIjpmYWxzZSwiayI6WzEsMiwzXX0")]
    public async Task A_cursor_the_server_did_not_issue_is_400(string cursor)
    {
        var reply = await server.Http().FhirGetAsync($"Patient?_cursor={cursor}");
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        var issue = Assert.Single(reply.As<OperationOutcome>().Issue);
        Assert.Equal("_cursor", Assert.Single(issue.Expression));
    }
}
