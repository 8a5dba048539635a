using System.Net;
using System.Text.Json.Nodes;
using FhirCare.FhirFacade.Tests.Rest;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>
/// Validation on create, update and patch (Validation:Mode, default profiles): an invalid resource is refused with 422
/// (400 for structural errors) at the FHIRPath of the problem, and nothing is written. Off and core modes and
/// RequireProfiles run on servers of their own.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ValidationOnWriteTests(FhirServer server)
{
    private const string Profile = "https://fhircare.org/fhir/StructureDefinition/";
    private const string WrongSubject = """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Medication/m"}}""";
    private static string Member(Action<JsonObject>? edit = null)
    {
        var o = JsonNode.Parse(File.ReadAllText(Path.Combine(Validators.ProfilesPath, "examples", "Patient-member-valid.json")))!.AsObject();
        o.Remove("id");
        edit?.Invoke(o);
        return o.ToJsonString();
    }

    [Theory]
    [InlineData("Patient", """{"resourceType":"Patient","contact":[{"gender":"male"}]}""", IssueType.Invariant, "Patient.contact[0]")]
    [InlineData("Condition", """{"resourceType":"Condition","subject":{"reference":"Patient/p"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"sleeping"}]}}""", IssueType.CodeInvalid, "Condition.clinicalStatus")]
    [InlineData("Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Medication/m"}}""", IssueType.Invalid, "Observation.subject.reference")]
    [InlineData("Patient", """{"resourceType":"Patient","meta":{"profile":["https://fhircare.org/fhir/StructureDefinition/nope"]}}""", IssueType.NotSupported, "Patient.meta.profile[0]")]
    public async Task A_create_breaking_a_rule_is_422_and_writes_nothing(string type, string json, IssueType code, string expression) =>
        await server.RefusesAsync(Create(HttpMethod.Post, type, json), 422, code, expression);

    [Fact]
    public async Task A_resource_claiming_our_profile_is_held_to_it()
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", Member(p => p.Remove("birthDate"))), 422, IssueType.Required, "Patient.birthDate");
        using var ok = await server.Http().SendAsync(Create(HttpMethod.Post, "Patient", Member()));
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public async Task A_structural_error_is_400()
    {
        var json = Member(p => p["extension"]![1] = JsonNode.Parse($$"""{"url":"{{Profile}}member-risk-tier","valueString":"high"}"""));
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", json), 400, IssueType.Structure, "Patient.extension[1].value");
    }

    [Fact]
    public async Task An_invalid_update_is_refused_and_the_current_version_stays()
    {
        using var created = await server.Http().SendAsync(Create(HttpMethod.Post, "Patient", Member()));
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        var json = Member(p => { p["id"] = id; p.Remove("name"); });
        await server.RefusesAsync(Create(HttpMethod.Put, $"Patient/{id}", json), 422, IssueType.Required, "Patient.name");
        await server.RefusesAsync(Create(HttpMethod.Put, $"Patient?_id={id}", json), 422, IssueType.Required, "Patient.name");
        var current = await server.Client().ReadAsync<Hl7.Fhir.Model.Patient>($"Patient/{id}");
        Assert.Equal("1", current!.Meta.VersionId);
    }

    [Fact]
    public async Task A_patch_whose_result_is_invalid_is_422()
    {
        using var created = await server.Http().SendAsync(Create(HttpMethod.Post, "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"}}"""));
        var id = created.Headers.Location!.ToString().Split('/')[^3];
        var outcome = await server.RefusesAsync(Create(HttpMethod.Patch, $"Observation/{id}", """[{"op":"add","path":"/subject","value":{"reference":"Medication/m"}}]""", JsonPatch),
            422, IssueType.Invalid, "Observation.subject.reference");
        Assert.StartsWith("After the patch: ", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task Off_accepts_what_parses_and_core_ignores_profiles()
    {
        using (var off = FhirServer.With(new Dictionary<string, string?> { ["Validation:Mode"] = "off" }))
        {
            using var response = await off.Http().SendAsync(Create(HttpMethod.Post, "Observation", WrongSubject));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        using var core = FhirServer.With(new Dictionary<string, string?> { ["Validation:Mode"] = "core" });
        using (var response = await core.Http().SendAsync(Create(HttpMethod.Post, "Patient", Member(p => p.Remove("birthDate")))))
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await core.RefusesAsync(Create(HttpMethod.Post, "Observation", WrongSubject), 422, IssueType.Invalid, "Observation.subject.reference");
    }

    [Fact]
    public async Task RequireProfiles_makes_the_care_coordination_types_claim_ours()
    {
        using var strict = FhirServer.With(new Dictionary<string, string?> { ["Validation:RequireProfiles"] = "true" });
        await strict.RefusesAsync(Create(HttpMethod.Post, "Patient", """{"resourceType":"Patient","gender":"female"}"""), 422, IssueType.Required, "Patient.meta.profile");
        await strict.RefusesAsync(Create(HttpMethod.Post, "Task", """{"resourceType":"Task","status":"draft","intent":"order"}"""), 422, IssueType.Required, "Task.meta.profile");
        using (var member = await strict.Http().SendAsync(Create(HttpMethod.Post, "Patient", Member())))
            Assert.Equal(HttpStatusCode.Created, member.StatusCode);
        using var other = await strict.Http().SendAsync(Create(HttpMethod.Post, "Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"}}"""));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }
}
