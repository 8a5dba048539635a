using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Tests.Rest;

/// <summary>A raw HTTP answer: status, headers and body, with the body parsed on demand.</summary>
public sealed record Reply(HttpStatusCode Status, HttpResponseMessage Message, string Body)
{
    private static readonly FhirJsonDeserializer Deserializer = new();

    public T As<T>() where T : Resource => Deserializer.Deserialize<T>(Body);

    public JsonNode Json => JsonNode.Parse(Body)!;

    public string? ETag => Message.Headers.ETag?.ToString();

    public string? Location => Message.Headers.Location?.ToString();

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>Raw FHIR requests, for what the FhirClient hides: exact statuses, headers, conditional URLs and patch bodies.</summary>
public static class Wire
{
    public const string FhirJson = "application/fhir+json";
    public const string JsonPatch = "application/json-patch+json";

    private static readonly FhirJsonSerializer Serializer = new();

    public static string ToJson(Resource resource) => Serializer.SerializeToString(resource);

    public static Task<Reply> FhirAsync(this HttpClient http, HttpMethod method, string url, Resource? body = null, params (string Name, string Value)[] headers) =>
        http.FhirAsync(method, url, body is null ? null : ToJson(body), FhirJson, headers);

    public static async Task<Reply> FhirAsync(this HttpClient http, HttpMethod method, string url, string? body, string contentType, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.ParseAdd(FhirJson);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        foreach (var (name, value) in headers)
            if (!request.Headers.TryAddWithoutValidation(name, value)) throw new ArgumentException($"Header {name} cannot be sent");
        var response = await http.SendAsync(request);
        return new Reply(response.StatusCode, response, await response.Content.ReadAsStringAsync());
    }

    public static Task<Reply> FhirGetAsync(this HttpClient http, string url, params (string Name, string Value)[] headers) =>
        http.FhirAsync(HttpMethod.Get, url, null, FhirJson, headers);

    /// <summary>An instant as FHIR writes it, in UTC with milliseconds ("2024-01-31T12:00:00.123Z"), safe in a query string.</summary>
    public static string Instant(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A query string with each name and value escaped.</summary>
    public static string Query(params (string Name, string Value)[] parameters) =>
        string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Name) + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>Waits until the server's millisecond clock has moved on, so consecutive writes get distinct lastUpdated values.</summary>
    public static Task Tick() => Task.Delay(5);
}
