namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// String parameters (search.html#string) on the official examples and the Synthea patient: by default a value matches
/// when it starts with the search value after case and accents are normalised; :exact compares the whole string as it is;
/// :contains matches anywhere. HumanName and Address parameters search every part of the name or address. No name in the
/// fixtures carries an accent, so accents are tried on the query side ("Chálmers", "zándra"); BasicSearchTests covers
/// accented data ("Müller").
/// </summary>
public sealed class StringSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    [Theory]
    [InlineData("Patient", "family=chalmers", "example")]
    [InlineData("Patient", "family=CHALMERS", "example")]
    [InlineData("Patient", "family=Chálmers", "example")]
    [InlineData("Patient", "family=chal", "example")]
    [InlineData("Patient", "family=windsor", "example")]
    [InlineData("Patient", "family=halmers", "")]
    [InlineData("Patient", "family=van de", "f001")]
    [InlineData("Patient", "family=heuvel", "")]
    [InlineData("Patient", "family=levin", "glossy xcda")]
    [InlineData("Patient", "family=o'hara", "8a4c9c04")]
    [InlineData("Patient", "family=O'HÁRA248", "8a4c9c04")]
    [InlineData("Patient", "family:exact=Chalmers", "example")]
    [InlineData("Patient", "family:exact=chalmers", "")]
    [InlineData("Patient", "family:exact=Chálmers", "")]
    [InlineData("Patient", "family:exact=Chalmer", "")]
    [InlineData("Patient", "family:exact=van de Heuvel", "f001")]
    [InlineData("Patient", "family:exact=O'Hara248", "8a4c9c04")]
    [InlineData("Patient", "family:contains=heuvel", "f001")]
    [InlineData("Patient", "family:contains=ELL", "pat3 pat4")]
    [InlineData("Patient", "family:contains=ára2", "8a4c9c04")]
    [InlineData("Patient", "family:contains=xyz", "")]
    [InlineData("Patient", "given=d", "pat1 pat2")]
    [InlineData("Patient", "given=j", "example infant-twin-1 infant-twin-2 xds")]
    [InlineData("Patient", "given=eve", "genetics-example1 mom")]
    [InlineData("Patient", "given:exact=Jim", "example")]
    [InlineData("Patient", "given:exact=Roelof", "")]
    [InlineData("Patient", "given:contains=olaf", "f201")]
    [InlineData("Patient", "name=jim", "example")]
    [InlineData("Patient", "name=roel", "f201")]
    [InlineData("Patient", "name=olaf", "")]
    [InlineData("Patient", "name:contains=olaf", "f201")]
    [InlineData("Patient", "name=drs", "f201")]
    [InlineData("Patient", "name=pdeng", "f201")]
    [InlineData("Patient", "name=the 7", "glossy")]
    [InlineData("Patient", "name=d", "f201 pat1 pat2 xds")]
    [InlineData("Patient", "name=zándra", "8a4c9c04")]
    [InlineData("Patient", "name=张", "ch-example")]
    [InlineData("Patient", "name:exact=张无忌", "ch-example")]
    [InlineData("Patient", "address-city=amsterdam", "f001 f201")]
    [InlineData("Patient", "address-city=上海", "ch-example")]
    [InlineData("Patient", "address-state=ma", "8a4c9c04")]
    [InlineData("Patient", "address-country=nld", "f001 f201")]
    [InlineData("Patient", "address-postalcode=1024", "f001")]
    [InlineData("Patient", "address-postalcode:exact=1024 RJ", "f001")]
    [InlineData("Patient", "address-postalcode:exact=1024", "")]
    [InlineData("Patient", "address=erewhon", "")]
    [InlineData("Patient", "address:contains=erewhon", "example")]
    [InlineData("Patient", "address=1", "f001 f201 xds")]
    [InlineData("Patient", "address:contains=st", "8a4c9c04 example f001 f201 genetics-example1 mom xds")]
    [InlineData("Measure", "title=screening", "component-a-example component-b-example")]
    [InlineData("Measure", "title:contains=BREASTFEEDING", "measure-exclusive-breastfeeding measure-predecessor-example")]
    [InlineData("TestScript", "name=testscript example", "testscript-example testscript-example-history testscript-example-readtest testscript-example-search testscript-example-update")]
    [InlineData("TestScript", "name=testscript", "testscript-example testscript-example-history testscript-example-multisystem testscript-example-readtest testscript-example-search testscript-example-update")]
    [InlineData("TestScript", "name:exact=TestScript Example", "testscript-example")]
    [InlineData("Composition", "title=discharge", "example-mixed")]
    [InlineData("Observation", "value-string=BLUE", "eye-color")]
    [InlineData("Observation", "value-string:exact=blue", "eye-color")]
    [InlineData("Observation", "value-string:exact=Blue", "")]
    [InlineData("Observation", "value-string=mother is", "trachcare")]
    [InlineData("Observation", "value-string=tracheostomy", "")]
    [InlineData("Observation", "value-string:contains=tracheostomy", "trachcare")]
    [InlineData("Observation", "value-string=*1/", "example-TPMT-diplotype")]
    [InlineData("Observation", "code-value-string=http://snomed.info/sct|410211008$mother", "trachcare")]
    [InlineData("Observation", "code-value-string=http://snomed.info/sct|410211008$blue", "")]
    public async Task String_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    [Theory]
    [InlineData("Patient", "family=chalmers,notsowell", "example pat3 pat4")]
    [InlineData("Patient", "family=notsowell,levin,nobody", "glossy pat3 pat4 xcda")]
    [InlineData("Patient", "family=notsowell&given=sandy", "pat4")]
    [InlineData("Patient", "family=windsor&given=jim", "example")]
    [InlineData("Patient", "name=peter&name=jim", "example")]
    [InlineData("Patient", "name=peter&name=nobody", "")]
    [InlineData("Patient", "family=solo&given=jaina,jacen", "infant-twin-1 infant-twin-2")]
    [InlineData("Patient", "family=levin&address-city=amsterdam", "")]
    public async Task Commas_or_and_repeated_parameters_and(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    [Theory]
    [InlineData("Patient", "family:missing=true", "animal ch-example infant-fetal newborn proband")]
    [InlineData("Patient", "given:missing=true", "ch-example dicom infant-fetal newborn proband")]
    [InlineData("Patient", "name:missing=true", "infant-fetal newborn proband")]
    [InlineData("Patient", "address:missing=true", "animal dicom glossy ihe-pcd infant-fetal infant-mom infant-twin-1 infant-twin-2 newborn pat1 pat2 pat3 pat4 proband xcda")]
    [InlineData("Measure", "name:missing=false", "hiv-indicators measure-cms146-example")]
    public async Task Missing_on_string_parameters(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    [Fact]
    public async Task Missing_false_is_the_complement_of_missing_true()
    {
        var missing = await corpus.MatchKeysAsync("Patient", "family:missing=true");
        var present = await corpus.MatchKeysAsync("Patient", "family:missing=false");

        Assert.Empty(missing.Intersect(present));
        Assert.Equal(corpus.All("Patient").Select(p => $"Patient/{p.Id}").Order(), missing.Concat(present).Order());
    }
}
