using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Bad URLs and headers: unknown types, invalid ids, media types not served, malformed If-Match; nothing is stored.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputRequestTests(FhirServer server)
{
    private const string ReplaceGender = """[{"op":"replace","path":"/gender","value":"male"}]""";

    /// <summary>A request of <paramref name="method"/> at <paramref name="url"/>, with a fitting body for writes.</summary>
    private static HttpRequestMessage Interaction(string method, string url, string id, params (string, string)[] headers) => method switch
    {
        "POST" => Create(HttpMethod.Post, url, PatientJson(), Json, headers),
        "PUT" => Create(HttpMethod.Put, url, PatientJson(id, "male"), Json, headers),
        "PATCH" => Create(HttpMethod.Patch, url, ReplaceGender, JsonPatch, headers),
        _ => Create(new HttpMethod(method), url, null, null, headers),
    };

    [Theory]
    [InlineData("GET", "Foo")]
    [InlineData("POST", "Foo")]
    [InlineData("GET", "Foo/1")]
    [InlineData("PUT", "Foo/1")]
    [InlineData("PATCH", "Foo/1")]
    [InlineData("DELETE", "Foo/1")]
    [InlineData("GET", "Foo/1/_history")]
    [InlineData("GET", "Foo/1/_history/1")]
    [InlineData("GET", "patient/1")]
    public async Task An_unknown_resource_type_in_the_url_is_404(string method, string url)
    {
        await server.RefusesAsync(Interaction(method, url, "1"), 404, IssueType.NotSupported);
    }

    public static TheoryData<string, string> InvalidIds()
    {
        var data = new TheoryData<string, string>();
        foreach (var method in new[] { "GET", "PUT", "PATCH", "DELETE" })
            foreach (var id in new[] { "a%20b", new string('a', 65), "$$", "a_b" })
                data.Add(method, id);
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public async Task An_invalid_id_in_the_url_is_400(string method, string id)
    {
        await server.RefusesAsync(Interaction(method, $"Patient/{id}", Uri.UnescapeDataString(id)), 400, IssueType.Invalid);
    }

    [Theory]
    [InlineData("a%20b")]
    [InlineData("$$")]
    public async Task An_invalid_id_in_history_urls_is_400(string id)
    {
        await server.RefusesAsync(Create(HttpMethod.Get, $"Patient/{id}/_history"), 400, IssueType.Invalid);
        await server.RefusesAsync(Create(HttpMethod.Get, $"Patient/{id}/_history/1"), 400, IssueType.Invalid);
    }

    [Theory]
    [InlineData("POST", "text/plain")]
    [InlineData("POST", null)]
    [InlineData("POST", "application/fhir+json; fhirVersion=3.0")]
    [InlineData("POST", "application/fhir+xml; fhirVersion=3.0")]
    [InlineData("POST", "application/octet-stream")]
    [InlineData("POST", "*/*")]
    [InlineData("PUT", "text/plain")]
    [InlineData("PUT", null)]
    [InlineData("PUT", "application/fhir+json; fhirVersion=3.0")]
    [InlineData("PATCH", "text/plain")]
    [InlineData("PATCH", null)]
    public async Task A_body_in_a_media_type_not_served_is_415(string method, string? contentType)
    {
        var patient = await server.CreatePatientAsync();
        var url = method == "POST" ? "Patient" : $"Patient/{patient.Id}";
        var body = method == "PATCH" ? ReplaceGender : PatientJson(patient.Id, "male");
        await server.RefusesAsync(Create(new HttpMethod(method), url, body, contentType), 415, IssueType.NotSupported);
    }

    [Theory]
    [InlineData("", "text/html")]
    [InlineData("", "application/fhir+json; fhirVersion=3.0")]
    [InlineData("", "application/fhir+xml; fhirVersion=3.0")]
    [InlineData("", "application/fhir+json; q=0")]
    [InlineData("?_format=html", null)]
    [InlineData("?_format=text/turtle", null)]
    [InlineData("?_format=xml;fhirVersion=3.0", null)]
    public async Task A_response_format_not_served_is_406(string query, string? accept)
    {
        var patient = await server.CreatePatientAsync();
        (string, string)[] headers = accept is null ? [] : [("Accept", accept)];
        await server.RefusesAsync(Create(HttpMethod.Get, $"Patient/{patient.Id}{query}", null, null, headers), 406, IssueType.NotSupported);
    }

    [Theory]
    [InlineData("POST", "", "text/html", 406, IssueType.NotSupported)]
    [InlineData("POST", "?_format=html", null, 406, IssueType.NotSupported)]
    [InlineData("PUT", "?_format=html", null, 406, IssueType.NotSupported)]
    [InlineData("PATCH", "", "application/fhir+json; fhirVersion=3.0", 406, IssueType.NotSupported)]
    [InlineData("POST", "?_pretty=maybe", null, 400, IssueType.Invalid)]
    [InlineData("PUT", "?_summary=bogus", null, 400, IssueType.Invalid)]
    [InlineData("PATCH", "?_elements=", null, 400, IssueType.Invalid)]
    public async Task A_write_whose_response_cannot_be_shaped_stores_nothing(string method, string query, string? accept, int status, IssueType code)
    {
        var patient = await server.CreatePatientAsync();
        var url = (method == "POST" ? "Patient" : $"Patient/{patient.Id}") + query;
        (string, string)[] headers = accept is null ? [] : [("Accept", accept)];
        await server.RefusesAsync(Interaction(method, url, patient.Id, headers), status, code);
    }

    [Theory]
    [InlineData("PUT", "bogus")]
    [InlineData("PUT", "\"abc\"")]
    [InlineData("PUT", "W/\"x\"")]
    [InlineData("PUT", "W/\"0\"")]
    [InlineData("DELETE", "bogus")]
    [InlineData("DELETE", "W/\"-1\"")]
    [InlineData("PATCH", "bogus")]
    [InlineData("PATCH", "W/\"1.5\"")]
    public async Task An_if_match_that_is_not_a_version_etag_is_400(string method, string ifMatch)
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Interaction(method, $"Patient/{patient.Id}", patient.Id, ("If-Match", ifMatch)), 400, IssueType.Invalid);
    }

    [Theory]
    [InlineData("Patient?birthdate=notadate", null, IssueType.Invalid, "birthdate")]
    [InlineData("Patient?_count=abc", null, IssueType.Invalid, "_count")]
    [InlineData("Patient?_count=-1", null, IssueType.Invalid, "_count")]
    [InlineData("Patient?gender=", null, IssueType.Invalid, "gender")]
    [InlineData("Patient?colour=blue", "handling=strict", IssueType.NotSupported, "colour")]
    [InlineData("Patient/_history?_since=yesterday", null, IssueType.Invalid, "_since")]
    [InlineData("_history?_count=0", null, IssueType.Invalid, "_count")]
    [InlineData("_history?_cursor=forged", null, IssueType.Invalid, "_cursor")]
    public async Task A_search_or_history_parameter_that_cannot_be_read_is_400(string url, string? prefer, IssueType code, string parameter)
    {
        (string, string)[] headers = prefer is null ? [] : [("Prefer", prefer)];
        await server.RefusesAsync(Create(HttpMethod.Get, url, null, null, headers), 400, code, parameter);
    }
}
