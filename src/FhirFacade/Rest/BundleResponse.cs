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
/// One entry of a batch-response or transaction-response (http.html#transaction-response): the outcome of one request
/// entry, with the resource (stored JSON) or an OperationOutcome when the Prefer header asks for one.
/// </summary>
public sealed record EntryResponse(
    string Status, string? FullUrl = null, string? Location = null, string? ETag = null, DateTimeOffset? LastModified = null,
    ReadOnlyMemory<byte>? Resource = null, OperationOutcome? Outcome = null);

/// <summary>
/// A searchset, history, batch-response or transaction-response Bundle over stored resources. As plain JSON it is written straight from the stored bytes
/// (no resource is parsed); XML, _summary and _elements go through the SDK's POCOs.
/// </summary>
public sealed class BundleResponse(Bundle.BundleType type, string baseUrl)
{
    public long? Total { get; set; }
    public List<(string Relation, string Url)> Links { get; } = [];
    public List<BundleEntry> Entries { get; } = [];
    public List<EntryResponse> Responses { get; } = [];
    public OperationOutcome? Outcome { get; set; }

    /// <summary>Entries produced while the response is written (after <see cref="Entries"/>): as plain JSON they are streamed.</summary>
    public IAsyncEnumerable<BundleEntry>? Streamed { get; init; }

    public async Task WriteAsync(HttpContext context, ResponseShape shape)
    {
        context.Response.StatusCode = 200;
        if (shape.Format == FhirFormat.Json && shape.Summary == SummaryType.False && shape.Elements is null)
        {
            await WriteJsonAsync(context.Response, shape);
            return;
        }
        if (Streamed is not null)
            await foreach (var e in Streamed.WithCancellation(context.RequestAborted)) Entries.Add(e);
        await FhirResponses.WriteResourceAsync(context, ToPoco(shape), 200, shape);
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
        var inEntries = false;
        void StartEntries()
        {
            if (inEntries) return;
            writer.WriteStartArray("entry");
            inEntries = true;
        }
        foreach (var r in Responses)
        {
            StartEntries();
            WriteResponseEntry(writer, r, shape.Pretty);
        }
        foreach (var e in Entries)
        {
            StartEntries();
            WriteEntry(writer, e, shape.Pretty);
        }
        if (Streamed is not null)
        {
            var written = 0;
            await foreach (var e in Streamed.WithCancellation(response.HttpContext.RequestAborted))
            {
                StartEntries();
                WriteEntry(writer, e, shape.Pretty);
                if (++written % 64 == 0) await writer.FlushAsync(); // memory stays flat: a few entries buffered at a time
            }
        }
        if (Outcome is not null)
        {
            StartEntries();
            writer.WriteStartObject();
            writer.WritePropertyName("resource");
            writer.WriteRawValue(FhirJson.ToBytes(Outcome), skipInputValidation: true);
            writer.WriteStartObject("search");
            writer.WriteString("mode", "outcome");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        if (inEntries) writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync();
    }

    private void WriteEntry(Utf8JsonWriter writer, BundleEntry e, bool pretty)
    {
        writer.WriteStartObject();
        writer.WriteString("fullUrl", FullUrl(e.Resource));
        if (!e.Resource.Deleted) WriteResource(writer, e.Resource.Json, pretty);
        if (e.Mode is { } mode)
        {
            writer.WriteStartObject("search");
            writer.WriteString("mode", mode.GetLiteral());
            writer.WriteEndObject();
        }
        if (e.WithRequest) WriteRequestResponse(writer, e.Resource);
        writer.WriteEndObject();
    }

    private static void WriteResource(Utf8JsonWriter writer, ReadOnlyMemory<byte> json, bool pretty)
    {
        writer.WritePropertyName("resource");
        if (pretty) { using var doc = JsonDocument.Parse(json); doc.WriteTo(writer); }
        else writer.WriteRawValue(json.Span, skipInputValidation: true);
    }

    private static void WriteResponseEntry(Utf8JsonWriter writer, EntryResponse r, bool pretty)
    {
        writer.WriteStartObject();
        if (r.FullUrl is not null) writer.WriteString("fullUrl", r.FullUrl);
        if (r.Resource is { } json) WriteResource(writer, json, pretty);
        writer.WriteStartObject("response");
        writer.WriteString("status", r.Status);
        if (r.Location is not null) writer.WriteString("location", r.Location);
        if (r.ETag is not null) writer.WriteString("etag", r.ETag);
        if (r.LastModified is { } modified) writer.WriteString("lastModified", modified.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        if (r.Outcome is not null)
        {
            writer.WritePropertyName("outcome");
            writer.WriteRawValue(FhirJson.ToBytes(r.Outcome), skipInputValidation: true);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
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
        foreach (var r in Responses)
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = r.FullUrl,
                Resource = r.Resource is { } json ? FhirResponses.ParseJson(json) : null,
                Response = new Bundle.ResponseComponent { Status = r.Status, Location = r.Location, Etag = r.ETag, LastModified = r.LastModified, Outcome = r.Outcome },
            });
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
