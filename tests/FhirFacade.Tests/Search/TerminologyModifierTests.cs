using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>Token :in / :not-in against ValueSets stored on the server, and reference :identifier.</summary>
[Collection(ServerCollection.Name)]
public sealed class TerminologyModifierTests(FhirServer server)
{
    private const string Loinc = "http://loinc.org";

    private async Task<string> CreateAsync(Resource resource)
    {
        var reply = await server.Http().FhirAsync(HttpMethod.Post, resource.TypeName, resource);
        Assert.True(reply.Status == HttpStatusCode.Created, reply.ToString());
        return reply.As<Resource>().Id;
    }

    private async Task<(string Tag, Dictionary<string, string> ByCode)> SeedAsync()
    {
        var tag = "vs-" + Guid.NewGuid().ToString("N")[..10];
        var byCode = new Dictionary<string, string>();
        foreach (var (system, code) in new[] { (Loinc, "4548-4"), (Loinc, "8480-6"), (Loinc, "8462-4"), ("http://snomed.info/sct", "271649006") })
            byCode[code] = await CreateAsync(new Observation
            {
                Meta = new Meta { Tag = [new Coding("http://fhircare.org/test", tag)] },
                Status = ObservationStatus.Final,
                Code = new CodeableConcept(system, code),
            });
        return (tag, byCode);
    }

    private async Task<string> ValueSetAsync(string tag, ValueSet.ComposeComponent compose)
    {
        var url = $"https://fhircare.org/fhir/ValueSet/test-{tag}-{Guid.NewGuid():N}";
        await CreateAsync(new ValueSet { Url = url, Status = PublicationStatus.Active, Compose = compose });
        return url;
    }

    private async Task<List<string>> IdsAsync(string query)
    {
        var reply = await server.Http().FhirGetAsync(query);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        return reply.As<Bundle>().Entry.Select(e => e.Resource.Id).Order().ToList();
    }

    private static ValueSet.ConceptSetComponent Concepts(string system, params string[] codes) =>
        new() { System = system, Concept = codes.Select(c => new ValueSet.ConceptReferenceComponent { Code = c }).ToList() };

    [Fact]
    public async Task In_and_not_in_follow_the_listed_concepts()
    {
        var (tag, ids) = await SeedAsync();
        var url = await ValueSetAsync(tag, new ValueSet.ComposeComponent { Include = [Concepts(Loinc, "8480-6", "8462-4")] });

        Assert.Equal(new[] { ids["8480-6"], ids["8462-4"] }.Order(), await IdsAsync($"Observation?_tag={tag}&code:in={url}"));
        Assert.Equal(new[] { ids["4548-4"], ids["271649006"] }.Order(), await IdsAsync($"Observation?_tag={tag}&code:not-in={url}"));
    }

    [Fact]
    public async Task A_whole_system_minus_an_exclusion_and_a_nested_value_set_expand()
    {
        var (tag, ids) = await SeedAsync();
        var loincButHba1c = await ValueSetAsync(tag, new ValueSet.ComposeComponent
        {
            Include = [new ValueSet.ConceptSetComponent { System = Loinc }],
            Exclude = [Concepts(Loinc, "4548-4")],
        });
        Assert.Equal(new[] { ids["8480-6"], ids["8462-4"] }.Order(), await IdsAsync($"Observation?_tag={tag}&code:in={loincButHba1c}"));

        var nested = await ValueSetAsync(tag, new ValueSet.ComposeComponent
        {
            Include = [new ValueSet.ConceptSetComponent { ValueSetElement = [new Canonical(loincButHba1c)] }, Concepts("http://snomed.info/sct", "271649006")],
        });
        Assert.Equal(new[] { ids["8480-6"], ids["8462-4"], ids["271649006"] }.Order(), await IdsAsync($"Observation?_tag={tag}&code:in={nested}"));
    }

    [Fact]
    public async Task An_unknown_or_filtered_value_set_is_400_naming_the_parameter()
    {
        var (tag, _) = await SeedAsync();
        var filtered = await ValueSetAsync(tag, new ValueSet.ComposeComponent
        {
            Include = [new ValueSet.ConceptSetComponent { System = Loinc, Filter = [new ValueSet.FilterComponent { Property = "COMPONENT", Op = FilterOperator.Equal, Value = "Glucose" }] }],
        });
        foreach (var url in new[] { "https://fhircare.org/fhir/ValueSet/nowhere", filtered })
        {
            var reply = await server.Http().FhirGetAsync($"Observation?code:in={url}");
            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.Equal("code:in", Assert.Single(Assert.Single(reply.As<OperationOutcome>().Issue).Expression));
        }
    }

    [Fact]
    public async Task Identifier_modifier_matches_logical_references()
    {
        var system = "https://fhircare.org/test/member/" + Guid.NewGuid().ToString("N")[..8];
        var logical = await CreateAsync(new Observation
        {
            Status = ObservationStatus.Final, Code = new CodeableConcept(Loinc, "4548-4"),
            Subject = new ResourceReference { Identifier = new Identifier(system, "M-1") },
        });
        await CreateAsync(new Observation
        {
            Status = ObservationStatus.Final, Code = new CodeableConcept(Loinc, "4548-4"),
            Subject = new ResourceReference { Identifier = new Identifier(system, "M-2") },
        });

        Assert.Equal([logical], await IdsAsync($"Observation?subject:identifier={system}|M-1"));
        Assert.Empty(await IdsAsync($"Observation?subject:identifier={system}|M-3"));
    }
}
