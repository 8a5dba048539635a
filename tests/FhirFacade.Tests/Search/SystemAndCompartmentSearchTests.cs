using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Tests.Search;

/// <summary>Search across types ([base]?_type=…) and in a patient's compartment (Patient/[id]/[type]).</summary>
[Collection(ServerCollection.Name)]
public sealed class SystemAndCompartmentSearchTests(FhirServer server)
{
    private sealed record Data(string Tag, string Patient, string Other, string[] PatientObservations, string OtherObservation, string Encounter, string Practitioner);

    private async Task<string> CreateAsync(Resource resource) =>
        (await server.Http().FhirAsync(HttpMethod.Post, resource.TypeName, resource)).As<Resource>().Id;

    private async Task<Data> SeedAsync()
    {
        var tag = "sys-" + Guid.NewGuid().ToString("N")[..10];
        Meta Tagged() => new() { Tag = [new Coding("http://fhircare.org/test", tag)] };
        var patient = await CreateAsync(new Patient { Meta = Tagged(), Name = [new HumanName { Family = "Compartment" }] });
        var other = await CreateAsync(new Patient { Meta = Tagged(), Name = [new HumanName { Family = "Other" }] });
        var practitioner = await CreateAsync(new Practitioner { Meta = Tagged() });
        Observation Obs(string subject, string code) => new()
        {
            Meta = Tagged(),
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", code),
            Subject = new ResourceReference($"Patient/{subject}"),
        };
        var o1 = await CreateAsync(Obs(patient, "4548-4"));
        var o2 = await CreateAsync(Obs(patient, "8480-6"));
        var o3 = await CreateAsync(new Observation
        {
            Meta = Tagged(), Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "4548-4"),
            Subject = new ResourceReference($"Patient/{other}"), Performer = [new ResourceReference($"Patient/{patient}")],
        });
        var o4 = await CreateAsync(Obs(other, "4548-4"));
        var encounter = await CreateAsync(new Encounter { Meta = Tagged(), Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference($"Patient/{patient}") });
        return new Data(tag, patient, other, [o1, o2, o3], o4, encounter, practitioner);
    }

    private async Task<List<string>> IdsAsync(string url)
    {
        var reply = await server.Http().FhirGetAsync(url);
        Assert.True(reply.Status == HttpStatusCode.OK, reply.ToString());
        var bundle = reply.As<Bundle>();
        Assert.Equal(Bundle.BundleType.Searchset, bundle.Type);
        return bundle.Entry.Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").Order().ToList();
    }

    [Fact]
    public async Task Type_list_searches_each_type_with_its_own_parameters()
    {
        var d = await SeedAsync();
        var ids = await IdsAsync($"?_type=Patient,Practitioner&_tag=http://fhircare.org/test|{d.Tag}");
        Assert.Equal(new[] { $"Patient/{d.Other}", $"Patient/{d.Patient}", $"Practitioner/{d.Practitioner}" }.Order(), ids);
    }

    [Fact]
    public async Task Without_type_every_resource_with_the_tag_matches()
    {
        var d = await SeedAsync();
        var ids = await IdsAsync($"?_tag=http://fhircare.org/test|{d.Tag}&_count=50");
        Assert.Equal(8, ids.Count);
        Assert.Contains($"Encounter/{d.Encounter}", ids);
    }

    [Fact]
    public async Task A_type_parameter_applies_within_type_list()
    {
        var d = await SeedAsync();
        var ids = await IdsAsync($"?_type=Observation&code=http://loinc.org|8480-6&_tag=http://fhircare.org/test|{d.Tag}");
        Assert.Equal([$"Observation/{d.PatientObservations[1]}"], ids);
    }

    [Fact]
    public async Task Compartment_search_finds_what_references_the_patient_through_any_compartment_parameter()
    {
        var d = await SeedAsync();
        var ids = await IdsAsync($"Patient/{d.Patient}/Observation");
        Assert.Equal(d.PatientObservations.Select(o => $"Observation/{o}").Order(), ids);
    }

    [Fact]
    public async Task Compartment_search_combines_with_parameters()
    {
        var d = await SeedAsync();
        var ids = await IdsAsync($"Patient/{d.Patient}/Observation?code=4548-4");
        Assert.Equal(new[] { d.PatientObservations[0], d.PatientObservations[2] }.Select(o => $"Observation/{o}").Order(), ids);
        Assert.Equal([$"Encounter/{d.Encounter}"], await IdsAsync($"Patient/{d.Patient}/Encounter"));
        Assert.Equal([$"Patient/{d.Patient}"], await IdsAsync($"Patient/{d.Patient}/Patient"));
    }

    [Fact]
    public async Task A_type_outside_the_compartment_is_400()
    {
        var d = await SeedAsync();
        var reply = await server.Http().FhirGetAsync($"Patient/{d.Patient}/Organization");
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("Organization", Assert.Single(reply.As<OperationOutcome>().Issue).Diagnostics);
    }

    [Theory]
    [InlineData("?_type=Nope")]
    [InlineData("?_type=Patient,Observation&_sort=birthdate")]
    public async Task Malformed_system_searches_are_400(string query)
    {
        var reply = await server.Http().FhirGetAsync(query);
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.NotEmpty(Assert.Single(reply.As<OperationOutcome>().Issue).Expression);
    }

    [Fact]
    public async Task Unknown_parameter_across_types_is_400_when_strict()
    {
        var reply = await server.Http().FhirGetAsync("?_type=Patient&nonsense=1", ("Prefer", "handling=strict"));
        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
    }
}
