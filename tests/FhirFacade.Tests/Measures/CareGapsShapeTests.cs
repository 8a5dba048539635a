using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCare.FhirFacade.Tests.Measures.CareGapsClient;

namespace FhirCare.FhirFacade.Tests.Measures;

/// <summary>
/// Our Gaps in Care documents against the official DEQM STU5 examples (Fixtures/deqm): each FHIRPath below reads a
/// structural fact (profile, code, system, extension URL, reference shape) that must be the same in both.
/// </summary>
public sealed class CareGapsShapeTests : IClassFixture<FhirServer>
{
    private readonly HttpClient _http;

    public CareGapsShapeTests(FhirServer server) => _http = server.Http();

    public static TheoryData<string> Facts =>
    [
        "Parameters.parameter.name.distinct()",
        "Parameters.parameter.resource.meta.profile.distinct()",
        "Parameters.parameter.resource.type.distinct()",
        "Parameters.parameter.resource.identifier.system.distinct()",
        "Parameters.parameter.resource.all(entry.first().resource is Composition)",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).meta.profile.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).status.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).type.coding.select(system + '|' + code).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).author.reference.select(substring(0, indexOf('/'))).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).section.focus.reference.select(substring(0, indexOf('/'))).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(Composition).section.entry.reference.select(substring(0, indexOf('/'))).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).meta.profile.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).modifierExtension.url.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).modifierExtension.value.coding.system.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).status.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).code.coding.select(system + '|' + code).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(DetectedIssue).evidence.detail.reference.select(substring(0, indexOf('/'))).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).meta.profile.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).status.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).type.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).extension.where(url = 'http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-measureScoring').value.coding.code.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).improvementNotation.coding.system.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).group.population.code.coding.system.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).group.population.code.coding.code.distinct().count() >= 4",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).evaluatedResource.extension.url.distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).reporter.reference.select(substring(0, indexOf('/'))).distinct()",
        "Parameters.parameter.resource.entry.resource.ofType(MeasureReport).period.all(start.exists() and end.exists())",
        "Parameters.parameter.resource.entry.resource.ofType(Patient).exists() and Parameters.parameter.resource.entry.resource.ofType(Organization).exists()",
    ];

    private static readonly Lazy<Parameters> Example = new(() => new FhirJsonDeserializer().Deserialize<Parameters>(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "deqm", "Parameters-single-gaps-open-indv-report01.json"))));

    private async Task<Parameters> OursAsync()
    {
        var p = $"shape-{Guid.NewGuid():N}"[..24];
        await _http.PutAsync(Patient(p, "1965-04-12"), OfficeVisit($"{p}-e", p, "2020-03-05"), Colonoscopy($"{p}-c", p, "2016-05-05"));
        return await _http.CareGapsAsync($"periodStart=2020-01-01&periodEnd=2020-12-31&subject=Patient/{p}&measureId=colorectal-cancer-screening&measureId=breast-cancer-screening&measureId=cervical-cancer-screening&{AllStatuses}");
    }

    [Theory]
    [MemberData(nameof(Facts))]
    public async Task Our_documents_have_the_structure_of_the_DEQM_example(string fact)
    {
        var ours = await OursAsync();
        var expected = Example.Value.Select(fact).Select(v => v.ToString()).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ours.Select(fact).Select(v => v.ToString()).ToList());
    }

    [Fact]
    public async Task Every_reference_in_a_document_resolves_inside_it_and_sections_match_their_issues()
    {
        var ours = await OursAsync();
        var bundle = (Bundle)ours.Parameter.Single().Resource;
        Assert.Equal(Bundle.BundleType.Document, bundle.Type);
        Assert.NotNull(bundle.Timestamp);
        Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(e => e.FullUrl).Distinct().Count());
        foreach (var reference in bundle.Select("Bundle.entry.resource.descendants().ofType(Reference).reference").Select(r => r.ToString()!))
            if (!reference.StartsWith('#') && !reference.StartsWith("Practitioner", StringComparison.Ordinal))
                Assert.NotNull(Resolve(bundle, reference));
        var composition = (Composition)bundle.Entry[0].Resource;
        Assert.Equal(3, composition.Section.Count);
        foreach (var section in composition.Section)
        {
            var issue = (DetectedIssue)Resolve(bundle, section.Entry.Single().Reference);
            Assert.Equal(section.Focus.Reference, issue.Evidence.Single().Detail.Single().Reference);
            var report = (MeasureReport)Resolve(bundle, section.Focus.Reference);
            Assert.Equal(composition.Subject.Reference, report.Subject.Reference);
            Assert.Equal(composition.Subject.Reference, issue.Patient.Reference);
        }
        var crc = (MeasureReport)Resolve(bundle, composition.Section.Single(s => s.Title == "Colorectal Cancer Screening").Focus.Reference);
        var colonoscopy = Assert.Single(crc.EvaluatedResource, r => r.Reference.StartsWith("Procedure/", StringComparison.Ordinal));
        Assert.Equal(["numerator"], colonoscopy.Extension.Select(e => e.Value.ToString()));
        Assert.Equal(1, crc.Group[0].Population.Single(p => p.Code.Coding[0].Code == "numerator").Count);
        Assert.Equal(1m, crc.Group[0].MeasureScore.Value);
    }
}
