using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// Quantity parameters (search.html#quantity, #number, #prefix) and composites (#composite) on Observation values and
/// components, Encounter.length and Condition ages. A search value without a prefix stands for the range its precision
/// implies ("10" is [9.5, 10.5)); gt/lt/ge/le compare with the exact value; [system]|[code] narrows the unit, and
/// ||[unit] matches the unit's code or its human-readable unit. No resource type in the fixtures has a number-type
/// search parameter, so number semantics are covered through quantity values, which follow the same rules.
/// </summary>
public sealed class QuantitySearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string Ucum = "http://unitsofmeasure.org";

    [Theory]
    [InlineData("Observation", "value-quantity=185", "example")]
    [InlineData("Observation", "value-quantity=185|" + Ucum + "|[lb_av]", "example")]
    [InlineData("Observation", "value-quantity=185||[lb_av]", "example")]
    [InlineData("Observation", "value-quantity=185||lbs", "example")]
    [InlineData("Observation", "value-quantity=6.3||mmol/l", "f001")]
    [InlineData("Observation", "value-quantity=185|http://snomed.info/sct|[lb_av]", "")]
    [InlineData("Observation", "value-quantity=28|http://snomed.info/sct|258813002", "f203")]
    [InlineData("Observation", "value-quantity=5.3|" + Ucum + "|kg", "4b93053c")]
    [InlineData("Observation", "value-quantity=5.30|" + Ucum + "|kg", "4b93053c")]
    [InlineData("Observation", "value-quantity=5|" + Ucum + "|kg", "66d8a7e8 4b93053c")]
    [InlineData("Observation", "value-quantity=1.26e1|" + Ucum + "|mmol/L", "f002")]
    [InlineData("Observation", "value-quantity=1.26E1|" + Ucum + "|mmol/L", "f002")]
    [InlineData("Observation", "value-quantity=1.3e1|" + Ucum + "|mmol/L", "f002")]
    [InlineData("Observation", "value-quantity=10", "10minute-apgar-score 20minute-apgar-score 5minute-apgar-score 9377754a")]
    [InlineData("Observation", "value-quantity=10.0", "10minute-apgar-score 20minute-apgar-score 5minute-apgar-score")]
    [InlineData("Observation", "value-quantity=13", "f002 f88a965a gcs-qa glasgow")]
    [InlineData("Observation", "value-quantity=13||{score}", "gcs-qa glasgow")]
    [InlineData("Observation", "value-quantity=0", "1minute-apgar-score herd1")]
    [InlineData("Observation", "value-quantity=gt5.3|" + Ucum + "|kg", "cf94bda7")]
    [InlineData("Observation", "value-quantity=ge5.3|" + Ucum + "|kg", "4b93053c cf94bda7")]
    [InlineData("Observation", "value-quantity=lt5.3|" + Ucum + "|kg", "66d8a7e8")]
    [InlineData("Observation", "value-quantity=le5.3|" + Ucum + "|kg", "66d8a7e8 4b93053c")]
    [InlineData("Observation", "value-quantity=sa5.3|" + Ucum + "|kg", "cf94bda7")]
    [InlineData("Observation", "value-quantity=eb5.3|" + Ucum + "|kg", "66d8a7e8")]
    [InlineData("Observation", "value-quantity=ap5.5|" + Ucum + "|kg", "4b93053c")]
    [InlineData("Observation", "value-quantity=ap60|" + Ucum + "|cm", "b463bc59 60524ff3")]
    [InlineData("Observation", "value-quantity=lt1", "1minute-apgar-score bmd herd1")]
    [InlineData("Observation", "value-quantity=le0.2", "1minute-apgar-score herd1")]
    [InlineData("Observation", "value-quantity=eb0.2", "1minute-apgar-score")]
    [InlineData("Observation", "value-quantity=gt400", "656 69a4c473 ad3e39da")]
    [InlineData("Observation", "value-quantity=ge444.55", "656 69a4c473 ad3e39da")]
    [InlineData("Observation", "value-quantity=sa444.55", "656 69a4c473")]
    [InlineData("Observation", "value-quantity=ge50&value-quantity=le60", "718a60f5 b463bc59 c12d9147 head-circumference map-sitting")]
    [InlineData("Observation", "value-quantity=15,83|" + Ucum + "|/min", "57a0d977 bb46eb20 99ae4fe7")]
    [InlineData("Observation", "component-value-quantity=107|" + Ucum + "|mm[Hg]", "blood-pressure blood-pressure-dar")]
    [InlineData("Observation", "component-value-quantity=gt100", "4f711953 71599c70 blood-pressure blood-pressure-dar c04d5af9")]
    [InlineData("Observation", "component-value-quantity=60", "blood-pressure f205")]
    [InlineData("Observation", "combo-value-quantity=60", "60524ff3 blood-pressure c12d9147 f205 map-sitting")]
    [InlineData("Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt120", "c04d5af9")]
    [InlineData("Observation", "component-code-value-quantity=http://loinc.org|8480-6$lt110", "blood-pressure blood-pressure-dar")]
    [InlineData("Observation", "component-code-value-quantity=8480-6$107|" + Ucum + "|mm[Hg]", "blood-pressure blood-pressure-dar")]
    [InlineData("Observation", "component-code-value-quantity=http://loinc.org|8462-4$gt100", "")]
    [InlineData("Observation", "component-code=http://loinc.org|8462-4&component-value-quantity=gt100", "4f711953 71599c70 blood-pressure blood-pressure-dar c04d5af9")]
    [InlineData("Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt130,http://loinc.org|8462-4$lt70", "c04d5af9 blood-pressure")]
    [InlineData("Observation", "code-value-quantity=http://loinc.org|29463-7$gt5|" + Ucum + "|kg", "4b93053c cf94bda7")]
    [InlineData("Observation", "code-value-quantity=http://loinc.org|29463-7$gt5", "4b93053c cf94bda7 example")]
    [InlineData("Observation", "combo-code-value-quantity=http://loinc.org|8480-6$gt130", "c04d5af9")]
    [InlineData("Observation", "combo-code-value-quantity=http://loinc.org|8867-4$gt90", "13a41f54")]
    [InlineData("Encounter", "length=140", "f001 f002")]
    [InlineData("Encounter", "length=gt100|" + Ucum + "|min", "f001 f002")]
    [InlineData("Encounter", "length=le90", "f003 f202")]
    [InlineData("Encounter", "length:missing=true", "emerg example f201 f203 home xcda 679146c3 41560e10 4a8d5530")]
    [InlineData("Condition", "onset-age=52|" + Ucum + "|a", "f202")]
    [InlineData("Condition", "abatement-age=gt53", "f202")]
    [InlineData("Condition", "abatement-age=gt54", "")]
    public async Task Quantity_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    private static readonly string[] Values = ["10", "10.0", "5.3", "444.55", "0.887", "60", "13", "0.2"];

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var value in Values)
            foreach (var prefix in new[] { "", "eq", "ne", "gt", "lt", "ge", "le" })
                rows.Add(prefix, value);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Value_quantity_prefixes_follow_the_number_rules(string prefix, string value)
    {
        var v = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        var decimals = value.Contains('.') ? value.Length - value.IndexOf('.') - 1 : 0;
        var half = 0.5m / (decimal)Math.Pow(10, decimals);
        bool Rule(decimal t) => prefix switch
        {
            "" or "eq" => t >= v - half && t < v + half,
            "ne" => !(t >= v - half && t < v + half),
            "gt" => t > v,
            "lt" => t < v,
            "ge" => t >= v,
            "le" => t <= v,
            _ => throw new ArgumentException(prefix),
        };
        // ne on a resource without a value is not defined by the spec: compare only resources that have one.
        var query = $"value-quantity={prefix}{value}" + (prefix == "ne" ? "&value-quantity:missing=false" : "");

        await corpus.AssertFindsAsync("Observation", query, r => ((Observation)r).Value is Quantity { Value: { } t } && Rule(t));
    }
}
