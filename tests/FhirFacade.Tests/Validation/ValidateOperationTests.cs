using System.Net;
using FhirCare.FhirFacade.Tests.Rest;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Validation;

/// <summary>$validate (resource-operation-validate) at type and instance level; it never writes.</summary>
[Collection(ServerCollection.Name)]
public sealed class ValidateOperationTests(FhirServer server)
{
    private const string MemberProfile = "https://fhircare.org/fhir/StructureDefinition/member-patient";
    private const string Plain = """{"resourceType":"Patient","name":[{"family":"Rivera"}]}""";

    private async Task<OperationOutcome> ValidateAsync(HttpRequestMessage request)
    {
        var before = server.Fingerprint();
        using var response = await server.Http().SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(before, server.Fingerprint());
        return (OperationOutcome)(response.Content.Headers.ContentType?.MediaType == Xml
            ? new FhirXmlDeserializer().DeserializeResource(body)
            : new FhirJsonDeserializer().DeserializeResource(body));
    }

    private static string Parameters(string resource, params (string Name, string Type, string Value)[] values) =>
        $$"""{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{{resource}}}{{string.Concat(values.Select(v => $$""",{"name":"{{v.Name}}","{{v.Type}}":"{{v.Value}}"}"""))}}]}""";

    [Fact]
    public async Task A_bare_resource_and_a_Parameters_body_are_both_validated()
    {
        var bare = await ValidateAsync(Create(HttpMethod.Post, "Patient/$validate", Plain));
        Assert.Empty(Validators.Errors(bare));
        var wrapped = await ValidateAsync(Create(HttpMethod.Post, "Observation/$validate", Parameters("""{"resourceType":"Observation","status":"final"}""")));
        Assert.Contains(Validators.Errors(wrapped), i => i.Code == IssueType.Required && i.Expression.Contains("Observation.code"));
    }

    [Fact]
    public async Task The_profile_parameter_adds_a_profile_from_the_body_or_the_query()
    {
        var fromBody = await ValidateAsync(Create(HttpMethod.Post, "Patient/$validate", Parameters(Plain, ("profile", "valueUri", MemberProfile))));
        Assert.Contains(Validators.Errors(fromBody), i => i.Code == IssueType.Required && i.Expression.Contains("Patient.birthDate"));
        var fromQuery = await ValidateAsync(Create(HttpMethod.Post, $"Patient/$validate?profile={MemberProfile}", Plain));
        Assert.Contains(Validators.Errors(fromQuery), i => i.Code == IssueType.Required && i.Expression.Contains("Patient.identifier"));
    }

    [Fact]
    public async Task XML_is_validated_too()
    {
        var outcome = await ValidateAsync(Create(HttpMethod.Post, "Observation/$validate",
            """<Observation xmlns="http://hl7.org/fhir"><status value="final"/></Observation>""", Xml, ("Accept", Xml)));
        Assert.Contains(Validators.Errors(outcome), i => i.Code == IssueType.Required && i.Expression.Contains("Observation.code"));
    }

    [Fact]
    public async Task A_resource_that_does_not_parse_is_reported_not_refused()
    {
        var outcome = await ValidateAsync(Create(HttpMethod.Post, "Patient/$validate", """{"resourceType":"Patient","gender":"sometimes"}"""));
        Assert.Contains(Validators.Errors(outcome), i => i.Expression.Any(x => x.StartsWith("Patient.gender")));
    }

    [Fact]
    public async Task Update_mode_checks_the_id_and_delete_mode_the_instance()
    {
        var patient = await server.CreatePatientAsync();
        var mismatch = await ValidateAsync(Create(HttpMethod.Post, $"Patient/{patient.Id}/$validate?mode=update",
            """{"resourceType":"Patient","id":"other","gender":"male"}"""));
        Assert.Contains(Validators.Errors(mismatch), i => i.Code == IssueType.Invalid && i.Expression.Contains("Patient.id"));
        var noId = await ValidateAsync(Create(HttpMethod.Post, "Patient/$validate", Parameters(Plain, ("mode", "valueCode", "update"))));
        Assert.Contains(Validators.Errors(noId), i => i.Code == IssueType.Required && i.Expression.Contains("Patient.id"));
        var delete = await ValidateAsync(Create(HttpMethod.Post, $"Patient/{patient.Id}/$validate?mode=delete"));
        Assert.Empty(Validators.Errors(delete));
        await server.RefusesAsync(Create(HttpMethod.Post, $"Patient/{Guid.NewGuid()}/$validate?mode=delete"), 404, IssueType.NotFound);
    }

    [Theory]
    [InlineData("Patient/$validate?profile=https://fhircare.org/fhir/StructureDefinition/nope", Plain, IssueType.NotFound, "profile")]
    [InlineData("Patient/$validate?profile=https://fhircare.org/fhir/StructureDefinition/outreach-task", Plain, IssueType.Invalid, "profile")]
    [InlineData("Patient/$validate?mode=merge", Plain, IssueType.Value, "mode")]
    [InlineData("Observation/$validate", Plain, IssueType.Invalid, "resourceType")]
    [InlineData("Patient/$validate", """{"resourceType":"Parameters","parameter":[{"name":"mode","valueCode":"create"}]}""", IssueType.Required, "resource")]
    [InlineData("Patient/$validate", """{"resourceType":"Parameters","parameter":[{"name":"colour","valueString":"red"}]}""", IssueType.Invalid, null)]
    [InlineData("Patient/$validate?mode=delete", Plain, IssueType.Invalid, "mode")]
    public async Task A_wrong_request_is_400(string url, string body, IssueType code, string? expression) =>
        await server.RefusesAsync(Create(HttpMethod.Post, url, body), 400, code, expression);

    [Fact]
    public async Task An_unknown_type_is_404()
    {
        using var response = await server.Http().SendAsync(Create(HttpMethod.Post, "Unicorn/$validate", Plain));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
