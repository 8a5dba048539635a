using System.Text.Json;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Rest;

/// <summary>
/// Writes FHIR responses. A stored resource asked for as plain JSON is sent as its stored bytes, unparsed;
/// anything else (XML, _summary, _elements, _pretty) is parsed once and serialised once.
/// </summary>
public static class FhirResponses
{
    private static readonly FhirXmlSerializer XmlSerializer = new();
    private static readonly FhirJsonDeserializer JsonDeserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    public static void SetVersionHeaders(HttpResponse response, StoredResource stored)
    {
        response.Headers.ETag = stored.ETag;
        response.Headers.LastModified = stored.HttpLastModified;
    }

    public static Task WriteStoredAsync(HttpContext context, StoredResource stored, int status, ResponseShape shape)
    {
        var response = context.Response;
        response.StatusCode = status;
        SetVersionHeaders(response, stored);
        if (shape.IsPlainJson)
        {
            response.ContentType = shape.ContentType;
            response.ContentLength = stored.Json.Length;
            return response.Body.WriteAsync(stored.Json).AsTask();
        }
        if (shape.Format == FhirFormat.Json && shape.Summary == SummaryType.False && shape.Elements is null)
            return WriteBytesAsync(response, Indent(stored.Json.Span), shape.ContentType);
        return WriteResourceAsync(context, ParseStored(stored), status, shape);
    }

    /// <summary>Parses a stored resource back into a POCO (for transformations, patch, and the like).</summary>
    public static Resource ParseStored(StoredResource stored) => ParseJson(stored.Json);

    /// <summary>Parses JSON this server wrote (stored versions, responses of Bundle entries).</summary>
    public static Resource ParseJson(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        return JsonDeserializer.DeserializeResource(ref reader);
    }

    public static Task WriteResourceAsync(HttpContext context, Resource resource, int status, ResponseShape shape)
    {
        context.Response.StatusCode = status;
        if (shape.Summary is not SummaryType.False || shape.Elements is not null) MarkSubsetted(resource);
        var bytes = shape.Format == FhirFormat.Json
            ? FhirJson.ToBytes(resource, shape.Summary, shape.Elements, shape.Pretty)
            : ResponseFilter.For(shape.Summary, shape.Elements) is { } filter
                ? XmlSerializer.SerializeToBytes(resource, shape.Pretty, filter)
                : XmlSerializer.SerializeToBytes(resource, pretty: shape.Pretty);
        return WriteBytesAsync(context.Response, bytes, shape.ContentType);
    }

    public static Task WriteOutcomeAsync(HttpContext context, OperationOutcome outcome, int status, ResponseShape? shape = null)
    {
        shape ??= SafeShape(context.Request);
        return WriteResourceAsync(context, outcome, status, shape with { Summary = SummaryType.False, Elements = null });
    }

    /// <summary>The response shape, falling back to plain JSON when the request's own shape is what is wrong.</summary>
    public static ResponseShape SafeShape(HttpRequest request)
    {
        try { return ResponseShape.From(request); }
        catch (FhirException) { return ResponseShape.Default; }
    }

    private static Task WriteBytesAsync(HttpResponse response, byte[] bytes, string contentType)
    {
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes).AsTask();
    }

    private static byte[] Indent(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        using var buffer = new MemoryStream(json.Length * 2);
        using (var writer = new Utf8JsonWriter(buffer, FhirJson.Options(pretty: true)))
            doc.WriteTo(writer);
        return buffer.ToArray();
    }

    /// <summary>A summarised resource is tagged SUBSETTED so no one mistakes it for the whole (search.html#summary).</summary>
    public static void MarkSubsetted(Resource resource)
    {
        if (resource is OperationOutcome or Bundle) return;
        resource.Meta ??= new Meta();
        if (!resource.Meta.Tag.Any(t => t.Code == "SUBSETTED"))
            resource.Meta.Tag.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "SUBSETTED", "subsetted"));
    }
}
