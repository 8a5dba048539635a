using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>
/// The implementation guide's examples (profiles/examples): each valid one passes $validate with no error, each
/// invalid one fails with the error it was written to show, at its FHIRPath. Every profile and extension has both.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ProfileExampleTests(FhirServer server)
{
    private static readonly string Examples = Path.Combine(Validators.ProfilesPath, "examples");

    public static TheoryData<string, IssueType, string> Invalid => new()
    {
        { "Patient-member-invalid.json", IssueType.Required, "Patient.birthDate" },
        { "CarePlan-coordination-invalid.json", IssueType.Required, "CarePlan.category" },
        { "Task-outreach-invalid.json", IssueType.Invariant, "Task" },
        { "Communication-outreach-invalid.json", IssueType.Invalid, "Communication.subject.reference" },
        { "Extension-trust-stage-invalid.json", IssueType.CodeInvalid, "Patient.extension[0].extension[0].value" },
        { "Extension-member-risk-tier-invalid.json", IssueType.Structure, "Patient.extension[1].value" },
        { "Extension-personalised-outreach-invalid.json", IssueType.Extension, "Patient.extension[2]" },
        { "Extension-outreach-exception-invalid.json", IssueType.Structure, "Communication.extension[2].value" },
    };

    public static TheoryData<string> Valid => new(Directory.GetFiles(Examples, "*-valid.json").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task A_valid_example_passes_validate(string file)
    {
        var json = File.ReadAllText(Path.Combine(Examples, file));
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        using var response = await server.Http().SendAsync(Create(HttpMethod.Post, $"{type}/$validate", json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outcome = (OperationOutcome)new FhirJsonDeserializer().DeserializeResource(await response.Content.ReadAsStringAsync());
        Assert.True(!Validators.Errors(outcome).Any(), Validators.Describe(outcome));
        // and the server stores it (Validation:Mode defaults to profiles)
        using var created = await server.Http().SendAsync(Create(HttpMethod.Post, type, json));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task An_invalid_example_fails_validate_at_its_path(string file, IssueType code, string expression)
    {
        var json = File.ReadAllText(Path.Combine(Examples, file));
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        using var response = await server.Http().SendAsync(Create(HttpMethod.Post, $"{type}/$validate", json));
        await OutcomeAssert.IsOutcomeAsync(response, 200, code, expression);
        // and the server refuses to store it
        await server.RefusesAsync(Create(HttpMethod.Post, type, json), code == IssueType.Structure ? 400 : 422, code, expression);
    }

    [Fact]
    public void Every_profile_and_extension_has_a_valid_and_an_invalid_example()
    {
        var examples = Directory.GetFiles(Examples, "*.json").Select(f => (Name: Path.GetFileName(f), Json: File.ReadAllText(f))).ToList();
        var invalidFiles = Invalid.Select(row => (string)row[0]).ToHashSet();
        foreach (var sd in Directory.GetFiles(Validators.ProfilesPath, "StructureDefinition-*.json").Select(Validators.Parse).Cast<StructureDefinition>())
        {
            var uses = examples.Where(e => e.Json.Contains($"\"{sd.Url}\"")).ToList();
            Assert.True(uses.Any(e => e.Name.EndsWith("-valid.json")), $"no valid example uses {sd.Url}");
            Assert.True(uses.Any(e => invalidFiles.Contains(e.Name)), $"no invalid example (with an expected error) uses {sd.Url}");
        }
        Assert.Equal(invalidFiles.Order(), examples.Select(e => e.Name).Where(n => n.EndsWith("-invalid.json")).Order());
    }
}
