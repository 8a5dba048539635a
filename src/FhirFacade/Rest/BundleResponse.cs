using System.Text.Json;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCare.FhirFacade.Rest;

/// <summary>One entry of a searchset or history Bundle.</summary>
public sealed record BundleEntry(StoredResource Resource, Bundle.SearchEntryMode? Mode = null, bool WithRequest = false);

/// <summary>
/// A searchset or history Bundle over stored resources. As plain JSON it is written straight from the stored bytes
/// (no resource is parsed); XML, _summary and _elements go through the SDK's POCOs.
/// </summary>
public sealed class BundleResponse(Bundle.BundleType type, string baseUrl)
{
    public long? Total { get; set; }
    public List<(string Relation, string Url)> Links { get; } = [];
    public List<BundleEntry> Entries { get; } = [];
    public OperationOutcome? Outcome { get; set; }

    public Task WriteAsync(HttpContext context, ResponseShape shape)
    {
        context.Response.StatusCode = 200;
        if (shape.Format == FhirFormat.Json && shape.Summary == SummaryType.False && shape.Elements is null)
            return WriteJsonAsync(context.Response, shape);
        return FhirResponses.WriteResourceAsync(context, ToPoco(shape), 200, shape);
    }

    private async Task WriteJsonAsync(HttpResponse response, ResponseShape shape)
    {
        response.ContentType = shape.ContentType;
        await using var writer = new Utf8JsonWriter(response.BodyWriter, FhirJson.Options(shape.Pretty));
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", Guid.NewGuid().ToString());
        writer.WriteStartObject("meta");
        writer.WriteString("lastUpdated", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        writer.WriteEndObject();
        writer.WriteString("type", type.GetLiteral());
        if (Total is { } total) writer.WriteNumber("total", total);
        if (Links.Count > 0)
        {
            writer.WriteStartArray("link");
            foreach (var (relation, url) in Links)
            {
                writer.WriteStartObject();
                writer.WriteString("relation", relation);
                writer.WriteString("url", url);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (Entries.Count > 0 || Outcome is not null)
        {
            writer.WriteStartArray("entry");
            foreach (var e in Entries)
            {
                writer.WriteStartObject();
                writer.WriteString("fullUrl", FullUrl(e.Resource));
                if (!e.Resource.Deleted)
                {
                    writer.WritePropertyName("resource");
                    if (shape.Pretty) { using var doc = JsonDocument.Parse(e.Resource.Json); doc.WriteTo(writer); }
                    else writer.WriteRawValue(e.Resource.Json.Span, skipInputValidation: true);
                }
                if (e.Mode is { } mode)
                {
                    writer.WriteStartObject("search");
                    writer.WriteString("mode", mode.GetLiteral());
                    writer.WriteEndObject();
                }
                if (e.WithRequest) WriteRequestResponse(writer, e.Resource);
                writer.WriteEndObject();
            }
            if (Outcome is not null)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("resource");
                writer.WriteRawValue(FhirJson.ToBytes(Outcome), skipInputValidation: true);
                writer.WriteStartObject("search");
                writer.WriteString("mode", "outcome");
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private void WriteRequestResponse(Utf8JsonWriter writer, StoredResource r)
    {
        var (method, url) = RequestOf(r);
        writer.WriteStartObject("request");
        writer.WriteString("method", method);
        writer.WriteString("url", url);
        writer.WriteEndObject();
        writer.WriteStartObject("response");
        writer.WriteString("status", StatusOf(r));
        writer.WriteString("etag", r.ETag);
        writer.WriteString("lastModified", r.LastUpdated.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        writer.WriteEndObject();
    }

    private static (string Method, string Url) RequestOf(StoredResource r)
    {
        var method = r.Method ?? (r.Deleted ? "DELETE" : r.Version == 1 ? "POST" : "PUT");
        return (method, method == "POST" ? r.Type : $"{r.Type}/{r.Id}");
    }

    private static string StatusOf(StoredResource r) =>
        (r.Status ?? (r.Deleted ? 204 : r.Version == 1 ? 201 : 200)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string FullUrl(StoredResource r) => $"{baseUrl}/{r.Type}/{r.Id}";

    private Bundle ToPoco(ResponseShape shape)
    {
        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString(),
            Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow },
            Type = type,
            Total = Total is { } t ? (int)Math.Min(t, int.MaxValue) : null,
        };
        foreach (var (relation, url) in Links) bundle.Link.Add(new Bundle.LinkComponent { Relation = relation, Url = url });
        foreach (var e in Entries)
        {
            var entry = new Bundle.EntryComponent { FullUrl = FullUrl(e.Resource) };
            if (!e.Resource.Deleted) entry.Resource = FhirResponses.ParseStored(e.Resource);
            if (entry.Resource is not null && (shape.Summary != SummaryType.False || shape.Elements is not null)) FhirResponses.MarkSubsetted(entry.Resource);
            if (e.Mode is { } mode) entry.Search = new Bundle.SearchComponent { Mode = mode };
            if (e.WithRequest)
            {
                var (method, url) = RequestOf(e.Resource);
                entry.Request = new Bundle.RequestComponent { Method = Enum.Parse<Bundle.HTTPVerb>(method), Url = url };
                entry.Response = new Bundle.ResponseComponent { Status = StatusOf(e.Resource), Etag = e.Resource.ETag, LastModified = e.Resource.LastUpdated };
            }
            bundle.Entry.Add(entry);
        }
        if (Outcome is not null)
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = Outcome, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome } });
        return bundle;
    }
}
