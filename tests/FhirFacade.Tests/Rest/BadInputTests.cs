using System.Text;
using Hl7.Fhir.Model;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Bodies the server must refuse with 400 and an OperationOutcome that locates each problem; nothing is stored.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(FhirServer server)
{
    [Theory]
    [InlineData("""{"resourceType":"Patient","gender":""", 1)]
    [InlineData("{\n  \"resourceType\": \"Patient\",\n  \"gender\": \"male\",\n", 4)]
    [InlineData("{\n  \"resourceType\": \"Patient\"\n  \"gender\": \"male\"\n}", 3)]
    [InlineData("{\"resourceType\":\"Patient\",\"gender\":\"male\"}}", 1)]
    [InlineData("{'resourceType':'Patient'}", 1)]
    public async Task Malformed_json_is_a_structure_error_at_its_line(string body, int line)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body), 400, IssueType.Structure, line: line);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("[1,2]")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"Patient\"")]
    public async Task Json_that_is_not_an_object_is_a_structure_error(string body)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body), 400, IssueType.Structure, line: 1);
    }

    [Theory]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"><gender value=\"male\"/>", 1)]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\">\n  <gender value=\"male\">\n</Patient>", 3)]
    [InlineData("not xml", 1)]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\">\n  <gender value=\"male\"/>\n</Patient>\n<Patient/>", 4)]
    public async Task Malformed_xml_is_a_structure_error_at_its_line(string body, int line)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body, Xml), 400, IssueType.Structure, line: line);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","gender":"male"}""", Xml)]
    [InlineData("""<Patient xmlns="http://hl7.org/fhir"><gender value="male"/></Patient>""", Json)]
    public async Task A_body_in_another_format_than_its_content_type_is_a_structure_error(string body, string contentType)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body, contentType), 400, IssueType.Structure, line: 1);
    }

    [Theory]
    [InlineData(Json)]
    [InlineData(Xml)]
    public async Task A_body_that_is_not_utf8_is_a_structure_error(string contentType)
    {
        var text = contentType == Json
            ? """{"resourceType":"Patient","name":[{"family":"#"}]}"""
            : """<Patient xmlns="http://hl7.org/fhir"><name><family value="#"/></name></Patient>""";
        var bytes = Encoding.UTF8.GetBytes(text).Select(b => b == (byte)'#' ? (byte)0xFF : b).ToArray();
        var request = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        await server.RefusesAsync(request, 400, IssueType.Structure);
    }

    [Theory]
    [InlineData("Patient", "{\n  \"resourceType\": \"Patient\",\n  \"colour\": \"blue\"\n}", Json, IssueType.Value, "Patient.colour", 3)]
    [InlineData("Patient", "{\n  \"resourceType\": \"Patient\",\n  \"gender\": \"foo\"\n}", Json, IssueType.CodeInvalid, "Patient.gender", 3)]
    [InlineData("Patient", "{\n  \"resourceType\": \"Patient\",\n  \"birthDate\": \"1970-13-45\"\n}", Json, IssueType.Value, "Patient.birthDate", 3)]
    [InlineData("Patient", "{\n  \"resourceType\": \"Patient\",\n  \"active\": \"yes\"\n}", Json, IssueType.Value, "Patient.active", 3)]
    [InlineData("Observation", "{\n  \"resourceType\": \"Observation\",\n  \"code\": {\"text\": \"weight\"}\n}", Json, IssueType.Required, "Observation.status", 1)]
    [InlineData("Patient", "<Patient xmlns=\"http://hl7.org/fhir\">\n  <colour value=\"blue\"/>\n</Patient>", Xml, IssueType.Value, "Patient.colour", 2)]
    [InlineData("Patient", "<Patient xmlns=\"http://hl7.org/fhir\">\n  <gender value=\"foo\"/>\n</Patient>", Xml, IssueType.CodeInvalid, "Patient.gender", 2)]
    [InlineData("Patient", "<Patient xmlns=\"http://hl7.org/fhir\">\n  <birthDate value=\"1970-13-45\"/>\n</Patient>", Xml, IssueType.Value, "Patient.birthDate", 2)]
    [InlineData("Observation", "<Observation xmlns=\"http://hl7.org/fhir\">\n  <code><text value=\"weight\"/></code>\n</Observation>", Xml, IssueType.Required, "Observation.status", 1)]
    public async Task Invalid_content_names_the_element_and_its_line(string type, string body, string contentType, IssueType code, string expression, int line)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, type, body, contentType), 400, code, expression, line);
    }

    [Fact]
    public async Task Every_problem_in_a_body_is_its_own_issue()
    {
        const string body = "{\n  \"resourceType\": \"Patient\",\n  \"gender\": \"foo\",\n  \"birthDate\": \"1970-13-45\",\n  \"colour\": \"blue\"\n}";
        var outcome = await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body), 400, IssueType.CodeInvalid, "Patient.gender", 3);
        Assert.Contains(outcome.Issue, i => i.Code == IssueType.Value && i.Expression.Contains("Patient.birthDate") && i.Location.Any(l => l.StartsWith("line 4,", StringComparison.Ordinal)));
        Assert.Contains(outcome.Issue, i => i.Code == IssueType.Value && i.Expression.Contains("Patient.colour") && i.Location.Any(l => l.StartsWith("line 5,", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Invalid_content_is_refused_on_update_too()
    {
        var patient = await server.CreatePatientAsync();
        var body = $$"""{"resourceType":"Patient","id":"{{patient.Id}}","gender":"foo"}""";
        await server.RefusesAsync(Create(HttpMethod.Put, $"Patient/{patient.Id}", body), 400, IssueType.CodeInvalid, "Patient.gender", 1);
    }

    [Fact]
    public async Task Errors_are_answered_in_the_accepted_format()
    {
        var request = Create(HttpMethod.Post, "Patient", """{"resourceType":"Patient","gender":""", Json, ("Accept", Xml));
        using var response = await server.Http().SendAsync(request);
        Assert.Equal(Xml, response.Content.Headers.ContentType?.MediaType);
        await OutcomeAssert.IsOutcomeAsync(response, 400, IssueType.Structure, line: 1);
    }

    [Theory]
    [InlineData("", IssueType.Required)]
    [InlineData("   ", IssueType.Structure)]
    public async Task An_empty_body_is_refused(string body, IssueType code)
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body), 400, code);
    }

    [Fact]
    public async Task A_duplicate_property_is_a_structure_error()
    {
        const string body = """{"resourceType":"Patient","gender":"male","gender":"female"}""";
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body), 400, IssueType.Structure, line: 1);
    }

    [Theory]
    [InlineData("""{"resourceType":"Foo","active":true}""", Json)]
    [InlineData("""<Foo xmlns="http://hl7.org/fhir"><active value="true"/></Foo>""", Xml)]
    public async Task An_unknown_resource_type_in_the_body_is_refused(string body, string contentType)
    {
        var outcome = await server.RefusesAsync(Create(HttpMethod.Post, "Patient", body, contentType), 400, IssueType.Value, line: 1);
        Assert.Contains(outcome.Issue, i => i.Diagnostics?.Contains("'Foo'") == true);
    }

    [Fact]
    public async Task A_body_without_resourceType_is_a_structure_error()
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Patient", """{"gender":"male"}"""), 400, IssueType.Structure, line: 1);
    }

    [Fact]
    public async Task Body_type_must_match_the_url_on_create()
    {
        await server.RefusesAsync(Create(HttpMethod.Post, "Observation", PatientJson()), 400, IssueType.Invalid);
    }

    [Fact]
    public async Task Body_type_must_match_the_url_on_update()
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Create(HttpMethod.Put, $"Observation/{patient.Id}", PatientJson(patient.Id)), 400, IssueType.Invalid);
    }

    [Fact]
    public async Task Body_id_must_match_the_url_on_update()
    {
        var patient = await server.CreatePatientAsync();
        var other = await server.CreatePatientAsync();
        await server.RefusesAsync(Create(HttpMethod.Put, $"Patient/{patient.Id}", PatientJson(other.Id, "male")), 400, IssueType.Invalid, "Patient.id");
    }

    [Fact]
    public async Task Update_needs_an_id_in_the_body()
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Create(HttpMethod.Put, $"Patient/{patient.Id}", PatientJson(gender: "male")), 400, IssueType.Required, "Patient.id");
    }
}
