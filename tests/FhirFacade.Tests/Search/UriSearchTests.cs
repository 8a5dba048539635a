using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>
/// URI parameters (search.html#uri): exact, case-sensitive matches by default; :below matches the URI and every URI under
/// it by path; :above matches the URI and every URI it is under. Covers canonical urls (Measure, TestScript), endpoints
/// (Subscription), instantiatesUri, AuditEvent policies and _profile (meta.profile, a uri in R4).
/// </summary>
public sealed class UriSearchTests(SearchCorpus corpus) : IClassFixture<SearchCorpus>
{
    private const string TestScripts = "testscript-example testscript-example-history testscript-example-multisystem testscript-example-readtest testscript-example-search testscript-example-update";
    private const string UsCore = "http://hl7.org/fhir/us/core/StructureDefinition";

    [Theory]
    [InlineData("TestScript", "url=http://hl7.org/fhir/TestScript/testscript-example", "testscript-example")]
    [InlineData("TestScript", "url=http://hl7.org/fhir/TestScript/testscript-exampl", "")]
    [InlineData("TestScript", "url=http://hl7.org/fhir/testscript/testscript-example", "")]
    [InlineData("TestScript", "url=http://hl7.org/fhir/TestScript/testscript-example,http://hl7.org/fhir/TestScript/testscript-example-search", "testscript-example testscript-example-search")]
    [InlineData("TestScript", "url:below=http://hl7.org/fhir/TestScript", TestScripts)]
    [InlineData("TestScript", "url:below=http://hl7.org/fhir/TestScript/", TestScripts)]
    [InlineData("TestScript", "url:below=http://hl7.org/fhir/TestScript/testscript-example-search", "testscript-example-search")]
    [InlineData("TestScript", "url:below=http://hl7.org/fhir/Measure", "")]
    [InlineData("TestScript", "url:below=http://hl7.org/fhir/testscript", "")]
    [InlineData("Measure", "url:below=http://hl7.org/fhir", "measure-cms146-example")]
    [InlineData("Measure", "url:below=http://ohie.org", "hiv-indicators")]
    [InlineData("Measure", "url:above=http://hl7.org/fhir/Measure/measure-cms146-example/_history/1", "measure-cms146-example")]
    [InlineData("Measure", "url:above=http://hl7.org/fhir/Measure/measure-cms146-example", "measure-cms146-example")]
    [InlineData("Measure", "url:above=http://hl7.org/fhir/Measure", "")]
    [InlineData("Measure", "url:above=http://hl7.org/fhir/measure/measure-cms146-example/_history/1", "")]
    [InlineData("Measure", "url=http://ohie.org/Measure/hiv-indicators", "hiv-indicators")]
    [InlineData("Measure", "url:missing=true", "component-a-example component-b-example composite-example measure-exclusive-breastfeeding measure-predecessor-example")]
    [InlineData("Subscription", "url=https://biliwatch.com/customers/mount-auburn-miu/on-result", "example example-error")]
    [InlineData("Subscription", "url:below=https://biliwatch.com/customers", "example example-error")]
    [InlineData("Procedure", "instantiates-uri=http://example.org/protocol-for-hypertension-during-pregnancy", "ambulation")]
    [InlineData("Procedure", "instantiates-uri:missing=false", "ambulation")]
    [InlineData("CarePlan", "instantiates-uri:below=http://example.org", "example")]
    [InlineData("Communication", "instantiates-uri=http://example.org/hyperkalemia", "example")]
    [InlineData("AuditEvent", "policy=http://consent.com/yes", "example-disclosure")]
    [InlineData("Patient", "_profile=" + UsCore + "/us-core-patient", "8a4c9c04")]
    [InlineData("Patient", "_profile:below=" + UsCore, "8a4c9c04")]
    [InlineData("Patient", "_profile:below=http://hl7.org/fhir/US/core", "")]
    [InlineData("Encounter", "_profile:below=http://hl7.org/fhir/us", "679146c3 41560e10 4a8d5530")]
    public async Task Uri_search_matches_exactly(string type, string query, string expected) =>
        await corpus.AssertFindsAsync(type, query, expected);

    public static TheoryData<string, string, Oracle> Computed => new()
    {
        { "Observation", "_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns",
            new("profiled as vital signs", r => r.Meta?.Profile.Contains("http://hl7.org/fhir/StructureDefinition/vitalsigns") == true) },
        { "Observation", $"_profile:below={UsCore}", new("a US Core profile", r => r.Meta?.Profile.Any(p => p?.StartsWith(UsCore + "/") == true) == true) },
        { "Observation", "_profile:missing=true", new("no profile", r => r.Meta?.Profile.Any() != true) },
        { "Observation", $"_profile={UsCore}/us-core-smokingstatus,http://hl7.org/fhir/StructureDefinition/bp",
            new("smoking status or blood pressure", r => r.Meta?.Profile.Any(p => p is UsCore + "/us-core-smokingstatus" or "http://hl7.org/fhir/StructureDefinition/bp") == true) },
        { "Observation", $"_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns&_profile=http://hl7.org/fhir/StructureDefinition/bp",
            new("vital signs and blood pressure", r => r.Meta?.Profile.Contains("http://hl7.org/fhir/StructureDefinition/vitalsigns") == true
                                                       && r.Meta.Profile.Contains("http://hl7.org/fhir/StructureDefinition/bp")) },
    };

    [Theory]
    [MemberData(nameof(Computed))]
    public async Task Uri_search_matches_what_the_data_says(string type, string query, Oracle expected) =>
        await corpus.AssertFindsAsync(type, query, expected.Matches);
}
