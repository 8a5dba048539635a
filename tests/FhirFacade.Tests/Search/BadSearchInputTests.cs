using System.Net;
using Hl7.Fhir.Model;
using FhirCare.FhirFacade.Tests.Rest;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Searches the server cannot carry out as asked (search.html#errors): malformed values, modifiers a parameter does not
/// have, chains through parameters that are not references, malformed _has and _include, and _count outside
/// [0, Search:MaxCount]. Each is a 400 with an OperationOutcome whose error names the parameter, whether or not the client
/// asks for strict handling (lenient handling only lets a server skip parameters it does not know).
/// </summary>
public sealed class BadSearchInputTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private static readonly (string Type, string Query, string Parameter)[] Cases =
    [
        ("Observation", "date=2013-13-01", "date"),
        ("Observation", "date=2013-02-30", "date"),
        ("Observation", "date=2013-04-02T25:00:00Z", "date"),
        ("Observation", "date=2013-04-02T10:30:10+25:00", "date"),
        ("Observation", "date=gt", "date"),
        ("Patient", "birthdate=19740", "birthdate"),
        ("Observation", "value-quantity=abc", "value-quantity"),
        ("Observation", "value-quantity=zz5", "value-quantity"),
        ("Observation", "value-quantity=5|http://unitsofmeasure.org", "value-quantity"),
        ("Observation", "component-code-value-quantity=http://loinc.org|8480-6", "component-code-value-quantity"),
        ("Observation", "code:foo=x", "code"),
        ("Observation", "date:exact=2013", "date"),
        ("Observation", "subject:foo=x", "subject"),
        ("Observation", "value-quantity:contains=5", "value-quantity"),
        ("Observation", "code:missing=maybe", "code"),
        ("Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR", "identifier"),
        ("Observation", "code.name=x", "code"),
        ("Patient", "gender.name=x", "gender"),
        ("Observation", "date.name=x", "date"),
        ("Observation", "subject:Medication.code=x", "subject"),
        ("Patient", "_has:Observation:subject=x", "_has"),
        ("Patient", "_has:Observation:code:code=x", "_has"),
        ("Patient", "_has:NoSuchType:subject:code=x", "_has"),
        ("Observation", "_include=Observation:no-such-parameter", "_include"),
        ("Observation", "_include=Observation:code", "_include"),
        ("Patient", $"_count={SearchCorpus.MaxCount + 1}", "_count"),
        ("Patient", "_count=1000", "_count"),
        ("Patient", "_count=1.5", "_count"),
        ("Patient", "_total=maybe", "_total"),
    ];

    public static TheoryData<string, string, string, bool> Rows()
    {
        var rows = new TheoryData<string, string, string, bool>();
        foreach (var (type, query, parameter) in Cases)
            foreach (var strict in new[] { false, true })
                rows.Add(type, query, parameter, strict);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Search_is_refused_with_400_naming_the_parameter(string type, string query, string parameter, bool strict)
    {
        (string, string)[] headers = strict ? [("Prefer", "handling=strict")] : [];

        var reply = await corpus.Server.Http().FhirGetAsync($"{type}?{SearchCorpus.Query(query)}", headers);

        Assert.True(reply.Status == HttpStatusCode.BadRequest, $"{type}?{query}: {reply}");
        Assert.Equal(Wire.FhirJson, reply.Message.Content.Headers.ContentType?.MediaType);
        var outcome = reply.As<OperationOutcome>();
        Assert.Contains(outcome.Issue, i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal
                                            && i.Expression.Any(x => x == parameter || x?.StartsWith(parameter + ":") == true || x?.StartsWith(parameter + ".") == true));
    }

    [Fact]
    public async Task Count_at_the_maximum_is_accepted()
    {
        var reply = await corpus.Server.Http().FhirGetAsync($"Patient?_count={SearchCorpus.MaxCount}");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
    }
}
