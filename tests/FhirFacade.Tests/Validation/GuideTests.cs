using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>The implementation guide as clients see it: published artefacts, the CapabilityStatement, our search parameters.</summary>
[Collection(ServerCollection.Name)]
public sealed class GuideTests(FhirServer server)
{
    private static readonly string[] CareTypes = ["Patient", "CarePlan", "Task", "Communication"];

    [Fact]
    public async Task The_ImplementationGuide_lists_every_artefact_and_each_is_served()
    {
        var client = server.Client();
        var guide = (await client.ReadAsync<ImplementationGuide>("ImplementationGuide/fhircare"))!;
        var files = FhirCare.FhirFacade.Guide.GuidePublisher.Load(Validators.ProfilesPath).Select(a => a.Resource).Where(r => r is not ImplementationGuide).ToList();
        Assert.Equal(files.Select(r => $"{r.TypeName}/{r.Id}").Order(), guide.Definition.Resource.Select(r => r.Reference.Reference).Order());
        foreach (var reference in guide.Definition.Resource.Select(r => r.Reference.Reference))
            Assert.NotNull(await client.ReadAsync<Resource>(reference));
        var stages = (await client.ReadAsync<CodeSystem>("CodeSystem/trust-stage"))!;
        Assert.Equal(["connection", "caution", "consistency", "courage", "commitment"], stages.Concept.Select(c => c.Code));
        Assert.All(stages.Concept, c => Assert.False(string.IsNullOrWhiteSpace(c.Definition)));
    }

    [Fact]
    public async Task The_CapabilityStatement_lists_validate_and_our_profiles()
    {
        var statement = (await server.Client().CapabilityStatementAsync())!;
        var resources = statement.Rest[0].Resource.ToDictionary(r => r.Type!);
        Assert.Contains(resources["Observation"].Operation, o => o.Name == "validate" && o.Definition == "http://hl7.org/fhir/OperationDefinition/Resource-validate");
        foreach (var (type, id) in new[] { ("Patient", "member-patient"), ("CarePlan", "care-coordination-careplan"), ("Task", "outreach-task"), ("Communication", "outreach-communication") })
        {
            Assert.Equal([$"https://fhircare.org/fhir/StructureDefinition/{id}"], resources[type].SupportedProfile);
            Assert.Contains(resources[type].SearchParam, p => p.Name == "trust-stage" && p.Definition == "https://fhircare.org/fhir/SearchParameter/trust-stage");
        }
        Assert.Contains(resources["Communication"].SearchParam, p => p.Name == "outreach-outcome");
        Assert.Contains(resources["Communication"].SearchParam, p => p.Name == "medium");
        Assert.Contains(resources["Patient"].SearchParam, p => p.Name == "risk-tier");
        Assert.Empty(resources["Observation"].SupportedProfile);
    }

    [Fact]
    public async Task Trust_stage_outcome_and_risk_tier_are_searchable()
    {
        var http = server.Http();
        var stage = $"s{Guid.NewGuid():N}"[..12]; // not a trust stage: the search must find nothing for it
        foreach (var type in CareTypes)
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Validators.ProfilesPath, "examples", $"{type}-{Example(type)}-valid.json")))!.AsObject();
            json.Remove("id");
            using var created = await http.SendAsync(Create(HttpMethod.Post, type, json.ToJsonString()));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = created.Headers.Location!.ToString().Split('/')[^3];
            var found = await server.Client().SearchAsync(type, [$"trust-stage=https://fhircare.org/fhir/CodeSystem/trust-stage|caution", $"_id={id}"]);
            Assert.Single(found!.Entry);
            var none = await server.Client().SearchAsync(type, [$"trust-stage={stage}", $"_id={id}"]);
            Assert.Empty(none!.Entry);
        }
        var tier = await server.Client().SearchAsync("Patient", ["risk-tier=high", "identifier=M-100234"]);
        Assert.NotEmpty(tier!.Entry);
        var outcome = await server.Client().SearchAsync("Communication", ["outreach-outcome=http://snomed.info/sct|441793002"]);
        Assert.NotEmpty(outcome!.Entry);
    }

    private static string Example(string type) => type switch
    {
        "Patient" => "member", "CarePlan" => "coordination", _ => "outreach",
    };
}
