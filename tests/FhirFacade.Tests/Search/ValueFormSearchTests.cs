using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Value forms the conformance kit found answered wrongly: escaped separators in string, uri and reference values
/// (search.html#escaping), relative canonicals (searched as Type/id), and Money searched as a quantity.
/// </summary>
public sealed class ValueFormSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    [Theory]
    [InlineData("Condition", @"abatement-string=around April 9\, 2013", "f201")]
    [InlineData("Condition", @"abatement-string:exact=around April 9\, 2013", "f201")]
    [InlineData("Condition", @"abatement-string=around April 9\, 2013,nothing like it", "f201")]
    [InlineData("Condition", @"abatement-string=around April 9\, 2014", "")]
    [InlineData("Subscription", @"criteria=Observation?code=http://loinc.org\|1975-2", "example example-error")]
    [InlineData("Measure", "composed-of=Measure/component-a-example", "composite-example")]
    [InlineData("Measure", "composed-of=Measure/component-b-example,Measure/nothing", "composite-example")]
    [InlineData("Measure", "composed-of:Measure=component-a-example", "composite-example")]
    [InlineData("Procedure", "instantiates-canonical=PlanDefinition/KDN5", "f201")]
    [InlineData("Procedure", "instantiates-canonical=PlanDefinition/other", "")]
    public Task Finds_values_written_in_these_forms(string type, string query, string expected) =>
        corpus.AssertFindsAsync(type, query, expected);

    [Fact]
    public async Task Money_is_searched_as_a_quantity_in_its_currency()
    {
        using var server = new FhirServer();
        var http = server.Http();
        var invoice = new Invoice
        {
            Status = Invoice.InvoiceStatus.Issued,
            TotalNet = new Money { Value = 40.22m, Currency = Money.Currencies.EUR },
            TotalGross = new Money { Value = 48.00m, Currency = Money.Currencies.EUR },
        };
        var id = (await http.FhirAsync(HttpMethod.Post, "Invoice", invoice)).As<Invoice>().Id;

        async Task<int> CountAsync(string query)
        {
            var reply = await http.FhirGetAsync("Invoice?" + query, ("Prefer", "handling=strict"));
            Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
            return reply.As<Bundle>().Entry.Count(e => e.Resource?.Id == id);
        }

        Assert.Equal(1, await CountAsync("totalnet=40.22"));
        Assert.Equal(1, await CountAsync("totalnet=40.22|urn:iso:std:iso:4217|EUR"));
        Assert.Equal(0, await CountAsync("totalnet=40.22|urn:iso:std:iso:4217|USD"));
        Assert.Equal(1, await CountAsync("totalgross=gt47"));
        Assert.Equal(0, await CountAsync("totalgross=lt47"));
        Assert.Equal(1, await CountAsync("totalnet:missing=false"));
    }
}
