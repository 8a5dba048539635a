using Hl7.Fhir.Model;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// _include and _revinclude (search.html#include): the resources the matches refer to (or that refer to the matches),
/// restricted by target type, with * for every reference parameter, and with :iterate applied to included resources
/// too. Included resources come with search.mode = include, only once, never repeat a match, do not count in the total,
/// and belong to the page whose matches brought them in. References to resources outside the store include nothing.
/// </summary>
public sealed class IncludeSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Patient = SearchCorpus.SyntheaPatient;
    private const string Encounter = "679146c3-fb51-ce39-1072-c7d04108fddd";
    private const string Height = "718a60f5-1dcc-339c-dfd6-1ca9690731ca";
    private const string Blood = "9ea63fe3-f133-0452-ad97-0f5715b408e7";
    private const string BloodResults = "Observation/d9cd3963 Observation/fc77f25e Observation/85ce1d38 Observation/d32b448c Observation/66addaf0 Observation/dfc3b58a Observation/7b6b1be9 Observation/01d48113 Observation/ad3e39da Observation/69a4c473 Observation/9377754a";

    [Theory]
    [InlineData("Observation", "code=http://loinc.org|85354-9&_include=Observation:subject",
        "4f711953 71599c70 c04d5af9 blood-pressure blood-pressure-cancel blood-pressure-dar", "Patient/example Patient/8a4c9c04")]
    [InlineData("Observation", "_id=" + Height + "&_include=Observation:subject:Patient", "718a60f5", "Patient/8a4c9c04")]
    [InlineData("Observation", "_id=" + Height + "&_include=Observation:subject:Group", "718a60f5", "")]
    [InlineData("Observation", "_id=" + Height + "&_include=Observation:encounter", "718a60f5", "Encounter/679146c3")]
    [InlineData("Observation", "_id=" + Height + "&_include=Observation:*", "718a60f5", "Patient/8a4c9c04 Encounter/679146c3")]
    [InlineData("Observation", "_id=bgpanel&_include=Observation:has-member", "bgpanel", "Observation/bloodgroup Observation/rhstatus")]
    [InlineData("Observation", "_id=bgpanel,bloodgroup&_include=Observation:has-member", "bgpanel bloodgroup", "Observation/rhstatus")]
    [InlineData("Observation", "_id=f001&_include=Observation:performer", "f001", "")]
    [InlineData("Patient", "_id=" + Patient + "&_revinclude=Encounter:subject", "8a4c9c04", "Encounter/679146c3 Encounter/41560e10 Encounter/4a8d5530")]
    [InlineData("Patient", "_id=" + Patient + "&_revinclude=Provenance:target", "8a4c9c04", "Provenance/27000e11")]
    [InlineData("Patient", "_id=" + Patient + "&_revinclude=Encounter:subject&_revinclude=Provenance:target",
        "8a4c9c04", "Encounter/679146c3 Encounter/41560e10 Encounter/4a8d5530 Provenance/27000e11")]
    [InlineData("Encounter", "_id=" + Encounter + "&_revinclude=Procedure:*", "679146c3", "Procedure/177d7c11")]
    [InlineData("Encounter", "_id=" + Encounter + "&_revinclude=DiagnosticReport:encounter", "679146c3", "DiagnosticReport/9ea63fe3 DiagnosticReport/54ac6ad9")]
    [InlineData("DiagnosticReport", "_id=" + Blood + "&_include=DiagnosticReport:result", "9ea63fe3", BloodResults)]
    [InlineData("DiagnosticReport", "_id=" + Blood + "&_include=DiagnosticReport:result&_include:iterate=Observation:encounter", "9ea63fe3", BloodResults + " Encounter/679146c3")]
    [InlineData("Procedure", "_id=colon-biopsy&_include=Procedure:part-of", "colon-biopsy", "Procedure/colonoscopy")]
    [InlineData("Procedure", "_id=colon-biopsy&_include=Procedure:part-of&_include:iterate=Procedure:subject", "colon-biopsy", "Procedure/colonoscopy Patient/example")]
    [InlineData("Condition", "_id=f201&_include=Condition:asserter&_include=Condition:subject", "f201", "Patient/f201")]
    [InlineData("Patient", "_id=example&_revinclude=Encounter:subject&_include=Patient:general-practitioner", "example", "Encounter/emerg Encounter/example Encounter/home")]
    public async Task Include_adds_exactly_the_referenced_resources(string type, string query, string matches, string included)
    {
        var bundle = await corpus.SearchAsync(type, query + $"&_count={SearchCorpus.MaxCount}");

        AssertEntries(bundle, corpus.Keys(type, matches), corpus.Keys(type, included));
    }

    [Fact]
    public async Task Revinclude_then_iterate_follows_the_included_encounters_to_their_observations()
    {
        var bundle = await corpus.SearchAsync("Patient", $"_id={Patient}&_revinclude=Encounter:subject&_revinclude:iterate=Observation:encounter&_count=10");

        var encounters = corpus.All<Encounter>().Where(e => e.Subject?.Reference == $"Patient/{Patient}").ToList();
        var observations = corpus.All<Observation>().Where(o => encounters.Any(e => o.Encounter?.Reference == $"Encounter/{e.Id}"));
        AssertEntries(bundle, [$"Patient/{Patient}"], encounters.Concat<Resource>(observations).Select(Key));
        Assert.Equal(3 + 38, SearchCorpus.Included(bundle).Count());
    }

    [Fact]
    public async Task Revinclude_then_iterate_include_reaches_the_subject_of_the_included_observations()
    {
        var bundle = await corpus.SearchAsync("Encounter", $"_id={Encounter}&_revinclude=Observation:encounter&_include:iterate=Observation:subject");

        var observations = corpus.All<Observation>().Where(o => o.Encounter?.Reference == $"Encounter/{Encounter}").ToList();
        Assert.Equal(20, observations.Count);
        AssertEntries(bundle, [$"Encounter/{Encounter}"], observations.Select(Key).Append($"Patient/{Patient}"));
    }

    [Fact]
    public async Task Included_resources_belong_to_the_page_of_their_matches_and_do_not_count_in_the_total()
    {
        var pages = new List<Bundle>();
        for (var url = $"Observation?{SearchCorpus.Query("code=http://loinc.org|85354-9&_include=Observation:subject&_total=accurate&_count=2")}";
             url is not null;
             url = SearchCorpus.Link(pages[^1], "next"))
        {
            var reply = await corpus.Server.Http().FhirGetAsync(url);
            pages.Add(reply.As<Bundle>());
            Assert.True(pages.Count <= 4, "the next links never end");
        }

        Assert.Equal(3, pages.Count);
        Assert.All(pages, page =>
        {
            Assert.Equal(6, page.Total);
            var subjects = SearchCorpus.Matches(page).Select(o => ((Observation)o).Subject!.Reference!).Distinct();
            AssertEntries(page, SearchCorpus.Matches(page).Select(Key), subjects);
        });
        Assert.Equal(6, pages.SelectMany(SearchCorpus.Matches).Select(Key).Distinct().Count());
    }

    private static string Key(Resource r) => $"{r.TypeName}/{r.Id}";

    private static void AssertEntries(Bundle bundle, IEnumerable<string> matches, IEnumerable<string> included)
    {
        Assert.All(bundle.Entry, e => Assert.True(e.Search?.Mode is Bundle.SearchEntryMode.Match or Bundle.SearchEntryMode.Include, $"{e.FullUrl}: {e.Search?.Mode}"));
        Assert.Equal(matches.Order(StringComparer.Ordinal), SearchCorpus.Matches(bundle).Select(Key).Order(StringComparer.Ordinal));
        Assert.Equal(included.Distinct().Order(StringComparer.Ordinal), SearchCorpus.Included(bundle).Select(Key).Order(StringComparer.Ordinal));
        Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(e => Key(e.Resource!)).Distinct().Count());
    }
}
