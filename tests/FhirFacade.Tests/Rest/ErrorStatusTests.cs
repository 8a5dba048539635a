using System.Net;
using static FhirCare.FhirFacade.Tests.Rest.FhirRequest;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>404, 405, 410 and 412 (http.html): each an OperationOutcome with the right code, and the store unchanged.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorStatusTests(FhirServer server)
{
    private const string ReplaceGender = """[{"op":"replace","path":"/gender","value":"male"}]""";

    private static HttpRequestMessage Write(string method, string id, params (string, string)[] headers) => method switch
    {
        "PUT" => Create(HttpMethod.Put, $"Patient/{id}", PatientJson(id, "male"), Json, headers),
        "PATCH" => Create(HttpMethod.Patch, $"Patient/{id}", ReplaceGender, JsonPatch, headers),
        "DELETE" => Create(HttpMethod.Delete, $"Patient/{id}", null, null, headers),
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    private async Task<string> DeletedPatientIdAsync()
    {
        var patient = await server.CreatePatientAsync();
        await server.Client().DeleteAsync($"Patient/{patient.Id}");
        return patient.Id;
    }

    [Theory]
    [InlineData("GET", "Patient/{missing}")]
    [InlineData("GET", "Patient/{missing}/_history")]
    [InlineData("GET", "Patient/{missing}/_history/1")]
    [InlineData("GET", "Patient/{id}/_history/99")]
    [InlineData("PATCH", "Patient/{missing}")]
    [InlineData("GET", "Patient/{id}/_history/1/extra")]
    public async Task What_does_not_exist_is_404(string method, string url)
    {
        var patient = await server.CreatePatientAsync();
        url = url.Replace("{id}", patient.Id).Replace("{missing}", Guid.NewGuid().ToString());
        var request = method == "PATCH" ? Create(HttpMethod.Patch, url, ReplaceGender, JsonPatch) : Create(HttpMethod.Get, url);
        await server.RefusesAsync(request, 404, IssueType.NotFound);
    }

    [Theory]
    [InlineData("Patient/{id}/unknown")]
    [InlineData("Unknown/{id}/Observation")]
    public async Task A_compartment_search_naming_an_unknown_type_is_404_not_supported(string url)
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Create(HttpMethod.Get, url.Replace("{id}", patient.Id)), 404, IssueType.NotSupported);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("W%2F%221%22")]
    public async Task A_version_id_that_is_not_a_positive_integer_is_400(string vid)
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Create(HttpMethod.Get, $"Patient/{patient.Id}/_history/{vid}"), 400, IssueType.Invalid);
    }

    [Theory]
    [InlineData("POST", "Patient/123", "GET, PUT, PATCH, DELETE")]
    [InlineData("PATCH", "Patient", "GET, POST, PUT, DELETE")]
    [InlineData("DELETE", "Patient/123/_history/1", "GET")]
    [InlineData("PUT", "Patient/123/_history", "GET")]
    public async Task A_method_the_endpoint_does_not_serve_is_405_with_allow(string method, string url, string allowed)
    {
        var before = server.Fingerprint();
        using var response = await server.Http().SendAsync(Create(new HttpMethod(method), url, method is "POST" or "PUT" or "PATCH" ? PatientJson() : null));
        await OutcomeAssert.IsOutcomeAsync(response, 405, IssueType.NotSupported);
        Assert.Equal(allowed.Split(", ").Order(), response.Content.Headers.Allow.Order());
        Assert.Equal(before, server.Fingerprint());
    }

    [Theory]
    [InlineData("GET", "Patient/{id}")]
    [InlineData("GET", "Patient/{id}/_history/2")]
    [InlineData("PATCH", "Patient/{id}")]
    public async Task A_deleted_resource_is_410(string method, string url)
    {
        url = url.Replace("{id}", await DeletedPatientIdAsync());
        var request = method == "PATCH" ? Create(HttpMethod.Patch, url, ReplaceGender, JsonPatch) : Create(HttpMethod.Get, url);
        await server.RefusesAsync(request, 410, IssueType.Deleted);
    }

    [Fact]
    public async Task The_versions_before_a_delete_stay_readable()
    {
        var id = await DeletedPatientIdAsync();
        using var response = await server.Http().GetAsync($"Patient/{id}/_history/1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task A_stale_if_match_is_412(string method)
    {
        var patient = await server.CreatePatientAsync();
        await server.Client().UpdateAsync(patient);
        await server.RefusesAsync(Write(method, patient.Id, ("If-Match", "W/\"1\"")), 412, IssueType.Conflict);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task An_if_match_ahead_of_the_current_version_is_412(string method)
    {
        var patient = await server.CreatePatientAsync();
        await server.RefusesAsync(Write(method, patient.Id, ("If-Match", "W/\"7\"")), 412, IssueType.Conflict);
    }

    [Theory]
    [InlineData("PUT", 412, IssueType.Conflict)]
    [InlineData("DELETE", 412, IssueType.Conflict)]
    [InlineData("PATCH", 404, IssueType.NotFound)]
    public async Task An_if_match_on_a_missing_resource_fails(string method, int status, IssueType code)
    {
        await server.RefusesAsync(Write(method, Guid.NewGuid().ToString(), ("If-Match", "W/\"1\"")), status, code);
    }

    [Theory]
    [InlineData("PUT", 412, IssueType.Conflict)]
    [InlineData("DELETE", 412, IssueType.Conflict)]
    [InlineData("PATCH", 410, IssueType.Deleted)]
    public async Task An_if_match_on_a_deleted_resource_fails(string method, int status, IssueType code)
    {
        await server.RefusesAsync(Write(method, await DeletedPatientIdAsync(), ("If-Match", "W/\"1\"")), status, code);
    }
}
