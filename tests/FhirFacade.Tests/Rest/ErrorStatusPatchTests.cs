using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>
/// PATCH (http.html#patch): a malformed patch document is 400, a patch that cannot be applied or would leave an invalid
/// resource is 422; the resource keeps its version.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorStatusPatchTests(FhirServer server)
{
    private static string Operation(string type, string path, string moreParts = "") =>
        $$"""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"{{type}}"},{"name":"path","valueString":"{{path}}"}{{moreParts}}]}]}""";

    private const string CodeValue = """,{"name":"value","valueCode":"male"}""";

    private async Task<HttpRequestMessage> PatchAsync(string body, string contentType)
    {
        var patient = await server.CreatePatientAsync();
        return Create(HttpMethod.Patch, $"Patient/{patient.Id}", body, contentType);
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/gender","value":"male"}]""")]
    [InlineData("""[{"op":"replace","path":"/gender","value":"male"},{"op":"test","path":"/birthDate","value":"2000-01-01"}]""")]
    [InlineData("""[{"op":"remove","path":"/deceasedBoolean"}]""")]
    [InlineData("""[{"op":"replace","path":"/name/3/family","value":"x"}]""")]
    [InlineData("""[{"op":"replace","path":"/id","value":"another"}]""")]
    [InlineData("""[{"op":"replace","path":"","value":{"resourceType":"Observation","status":"final","code":{"text":"x"}}}]""")]
    [InlineData("""[{"op":"remove","path":""}]""")]
    [InlineData("""[{"op":"move","from":"/gender","path":"/gender/x"}]""")]
    public async Task A_json_patch_that_cannot_be_applied_is_422(string patch)
    {
        await server.RefusesAsync(await PatchAsync(patch, JsonPatch), 422, IssueType.Processing);
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/gender","value":"foo"}]""", IssueType.CodeInvalid, "Patient.gender")]
    [InlineData("""[{"op":"replace","path":"/birthDate","value":"1970-13-45"}]""", IssueType.Value, "Patient.birthDate")]
    [InlineData("""[{"op":"add","path":"/colour","value":"blue"}]""", IssueType.Value, "Patient.colour")]
    public async Task A_json_patch_that_leaves_an_invalid_resource_is_422(string patch, IssueType code, string expression)
    {
        await server.RefusesAsync(await PatchAsync(patch, JsonPatch), 422, code, expression);
    }

    [Theory]
    [InlineData("""{"op":"test","path":"/gender","value":"male"}""")]
    [InlineData("""[{"op":"frobnicate","path":"/gender"}]""")]
    [InlineData("""[{"path":"/gender","value":"male"}]""")]
    [InlineData("""[{"op":"replace","value":"male"}]""")]
    [InlineData("""[{"op":"replace","path":"gender","value":"male"}]""")]
    [InlineData("""[{"op":"replace","path":"/gender"}]""")]
    [InlineData("""[{"op":"move","path":"/gender"}]""")]
    [InlineData("""["replace"]""")]
    public async Task A_malformed_json_patch_document_is_400(string patch)
    {
        await server.RefusesAsync(await PatchAsync(patch, JsonPatch), 400, IssueType.Structure);
    }

    [Theory]
    [InlineData("""[{"op":"test",""", 1)]
    [InlineData("[\n  {\"op\": \"replace\", \"path\": \"/gender\", \"value\": male}\n]", 2)]
    public async Task A_json_patch_that_is_not_json_is_400_at_its_line(string patch, int line)
    {
        await server.RefusesAsync(await PatchAsync(patch, JsonPatch), 400, IssueType.Structure, line: line);
    }

    [Theory]
    [InlineData("replace", "Patient.birthDate.where(false)", CodeValue)]
    [InlineData("replace", "Patient.maritalStatus", CodeValue)]
    [InlineData("add", "Patient.contact", """,{"name":"name","valueString":"gender"},{"name":"value","valueCode":"male"}""")]
    [InlineData("replace", "Patient.identifier", CodeValue)]
    public async Task A_fhirpath_patch_whose_path_matches_nothing_is_422(string type, string path, string parts)
    {
        await server.RefusesAsync(await PatchAsync(Operation(type, path, parts), Json), 422, IssueType.NotFound);
    }

    [Fact]
    public async Task A_fhirpath_patch_that_leaves_an_invalid_resource_is_422()
    {
        var patch = Operation("replace", "Patient.gender", """,{"name":"value","valueCode":"foo"}""");
        await server.RefusesAsync(await PatchAsync(patch, Json), 422, IssueType.CodeInvalid, "Patient.gender");
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","gender":"male"}""", IssueType.Invalid)]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"nonsense","valueString":"x"}]}""", IssueType.Structure)]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"}]}]}""", IssueType.Required)]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"frobnicate"},{"name":"path","valueString":"Patient.gender"}]}]}""", IssueType.CodeInvalid)]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.gender"}]}]}""", IssueType.Required)]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.(("},{"name":"value","valueCode":"male"}]}]}""", IssueType.Invalid)]
    public async Task A_malformed_fhirpath_patch_is_400(string patch, IssueType code)
    {
        await server.RefusesAsync(await PatchAsync(patch, Json), 400, code);
    }

    [Fact]
    public async Task A_fhirpath_patch_that_is_not_valid_fhir_is_400_at_its_line()
    {
        const string patch = "{\n  \"resourceType\": \"Parameters\",\n  \"parameter\": [{\"name\": \"operation\", \"colour\": \"blue\"}]\n}";
        await server.RefusesAsync(await PatchAsync(patch, Json), 400, IssueType.Value, "Parameters.parameter[0].colour", 3);
    }
}
