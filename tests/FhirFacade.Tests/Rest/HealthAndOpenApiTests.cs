using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Health probes, the OpenAPI document, and the OperationOutcome answer for paths and methods that are not mapped.</summary>
[Collection(ServerCollection.Name)]
public sealed class HealthAndOpenApiTests(FhirServer server)
{
    private static readonly FhirJsonDeserializer Deserializer = new();

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_probe_answers_healthy(string path)
    {
        using var response = await server.Http().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/metadata", "get")]
    [InlineData("/_history", "get")]
    [InlineData("/{type}", "get")]
    [InlineData("/{type}", "post")]
    [InlineData("/{type}", "put")]
    [InlineData("/{type}", "delete")]
    [InlineData("/{type}/_search", "post")]
    [InlineData("/{type}/_history", "get")]
    [InlineData("/{type}/{id}", "get")]
    [InlineData("/{type}/{id}", "put")]
    [InlineData("/{type}/{id}", "patch")]
    [InlineData("/{type}/{id}", "delete")]
    [InlineData("/{type}/{id}/_history", "get")]
    [InlineData("/{type}/{id}/_history/{vid}", "get")]
    public async Task OpenApi_document_lists_the_fhir_endpoint(string path, string method)
    {
        using var response = await server.Http().GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(document.RootElement.TryGetProperty("openapi", out _));
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the OpenAPI paths");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is not in the OpenAPI document");
        Assert.Contains("FHIR", operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [InlineData("GET", "/Patient/1/_history/1/extra", HttpStatusCode.NotFound)]
    [InlineData("GET", "/a/b/c/d/e/f", HttpStatusCode.NotFound)]
    [InlineData("GET", "/NotAResourceType/1", HttpStatusCode.NotFound)]
    [InlineData("POST", "/Patient/1", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PATCH", "/Patient", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/Patient/1/_history/1", HttpStatusCode.MethodNotAllowed)]
    public async Task Unmapped_route_or_method_answers_an_OperationOutcome(string method, string path, HttpStatusCode expected)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT" or "PATCH")
            request.Content = new StringContent("""{"resourceType":"Patient","id":"1"}""", Encoding.UTF8, "application/fhir+json");
        using var response = await server.Http().SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = Assert.IsType<OperationOutcome>(Deserializer.DeserializeResource(await response.Content.ReadAsStringAsync()));
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && !string.IsNullOrEmpty(i.Diagnostics));
    }
}
