using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
using IssueSeverity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>Raw requests for what FhirClient cannot send: malformed bodies, odd headers.</summary>
public static class FhirRequest
{
    public const string Json = "application/fhir+json";
    public const string Xml = "application/fhir+xml";
    public const string JsonPatch = "application/json-patch+json";

    /// <summary>Headers go on the request or, for content headers, on the body; values are sent unvalidated.</summary>
    public static HttpRequestMessage Create(HttpMethod method, string url, string? body = null, string? contentType = Json,
        params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        foreach (var (name, value) in headers)
            if (!request.Headers.TryAddWithoutValidation(name, value))
                Assert.True(request.Content?.Headers.TryAddWithoutValidation(name, value), $"cannot send header {name}");
        return request;
    }

    public static string PatientJson(string? id = null, string gender = "female") =>
        id is null
            ? $$"""{"resourceType":"Patient","gender":"{{gender}}"}"""
            : $$"""{"resourceType":"Patient","id":"{{id}}","gender":"{{gender}}"}""";

    /// <summary>A Patient stored through the API, with an identifier unique to the caller.</summary>
    public static async Task<Patient> CreatePatientAsync(this FhirServer server, string? identifierSystem = null)
    {
        var patient = new Patient { Gender = AdministrativeGender.Female, BirthDate = "1970-02-03" };
        if (identifierSystem is not null) patient.Identifier.Add(new Identifier(identifierSystem, "dup"));
        return (await server.Client().CreateAsync(patient))!;
    }
}

/// <summary>Checks that a response is a FHIR error: status, FHIR media type, an OperationOutcome with a matching error issue.</summary>
public static class OutcomeAssert
{
    private static readonly FhirJsonDeserializer JsonDeserializer = new();
    private static readonly FhirXmlDeserializer XmlDeserializer = new();

    /// <summary>Sends the request, checks the error, and checks the store is exactly as it was before.</summary>
    public static async Task<OperationOutcome> RefusesAsync(this FhirServer server, HttpRequestMessage request, int status,
        IssueType code, string? expression = null, int? line = null)
    {
        var before = server.Fingerprint();
        using var response = await server.Http().SendAsync(request);
        var outcome = await IsOutcomeAsync(response, status, code, expression, line);
        Assert.Equal(before, server.Fingerprint());
        return outcome;
    }

    /// <summary>
    /// The issue must have severity error or fatal and the code; with <paramref name="expression"/>, that FHIRPath among its
    /// expressions; with <paramref name="line"/>, a location "line N, position M" on that line.
    /// </summary>
    public static async Task<OperationOutcome> IsOutcomeAsync(HttpResponseMessage response, int status, IssueType code,
        string? expression = null, int? line = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        var context = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}:\n{body}";
        Assert.True((int)response.StatusCode == status, $"expected {status}; {context}");
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Assert.True(mediaType is FhirRequest.Json or FhirRequest.Xml, $"Content-Type '{mediaType}' is not FHIR; {context}");

        var outcome = Parse(body, mediaType!, context);
        Assert.NotEmpty(outcome.Issue);
        var match = outcome.Issue.FirstOrDefault(i =>
            i.Severity is IssueSeverity.Error or IssueSeverity.Fatal
            && i.Code == code
            && (expression is null || i.Expression.Contains(expression))
            && (line is null || i.Location.Any(l => Regex.IsMatch(l, $"^line {line}, position [1-9][0-9]*$"))));
        var wanted = $"severity error/fatal, code {code}" + (expression is null ? "" : $", expression {expression}") + (line is null ? "" : $", location line {line}");
        Assert.True(match is not null, $"no issue with {wanted}; {context}");

        foreach (var x in outcome.Issue.SelectMany(i => i.Expression))
            Assert.False(x.Contains("$this") || x.Contains("UnnamedResource"), $"expression '{x}' is not a FHIRPath into the resource; {context}");
        return outcome;
    }

    private static OperationOutcome Parse(string body, string mediaType, string context)
    {
        try
        {
            if (mediaType == FhirRequest.Json)
            {
                var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(body));
                return Assert.IsType<OperationOutcome>(JsonDeserializer.DeserializeResource(ref reader));
            }
            using var xml = XmlReader.Create(new StringReader(body));
            return Assert.IsType<OperationOutcome>(XmlDeserializer.DeserializeResource(xml));
        }
        catch (Exception e) when (e is DeserializationFailedException or JsonException or XmlException)
        {
            Assert.Fail($"the body is not an OperationOutcome ({e.Message}); {context}");
            throw;
        }
    }
}
