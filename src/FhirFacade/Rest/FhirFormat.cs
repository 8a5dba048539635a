using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Net.Http.Headers;

namespace FhirCare.FhirFacade.Rest;

public enum FhirFormat { Json, Xml }

/// <summary>
/// How the client wants the response shaped (http.html#mime-type, search.html#summary, #elements): the format from
/// <c>_format</c> or <c>Accept</c>, <c>_pretty</c>, <c>_summary</c> and <c>_elements</c>. Parsed once per request.
/// </summary>
public sealed record ResponseShape(FhirFormat Format, bool Pretty, SummaryType Summary, string[]? Elements)
{
    public static readonly ResponseShape Default = new(FhirFormat.Json, false, SummaryType.False, null);

    /// <summary>True when the stored JSON can be sent as it is.</summary>
    public bool IsPlainJson => Format == FhirFormat.Json && !Pretty && Summary == SummaryType.False && Elements is null;

    public string ContentType => Format == FhirFormat.Json ? "application/fhir+json; charset=utf-8" : "application/fhir+xml; charset=utf-8";

    public static ResponseShape From(HttpRequest request)
    {
        var query = request.Query;
        if (query.Count == 0 && request.Headers.Accept.Count == 0) return Default;
        var format = query.TryGetValue("_format", out var f) && f.Count > 0 ? FormatParameter(f[0]!) : AcceptedFormat(request);
        var pretty = query.TryGetValue("_pretty", out var p) && p[0] switch
        {
            "true" => true,
            "false" => false,
            _ => throw FhirException.BadRequest($"_pretty must be true or false, not '{p[0]}'", "_pretty"),
        };
        var summary = SummaryType.False;
        if (query.TryGetValue("_summary", out var s))
            summary = s[0] switch
            {
                "true" => SummaryType.True, "text" => SummaryType.Text, "data" => SummaryType.Data,
                "count" => SummaryType.Count, "false" => SummaryType.False,
                _ => throw FhirException.BadRequest($"_summary must be true, text, data, count or false, not '{s[0]}'", "_summary"),
            };
        string[]? elements = null;
        if (query.TryGetValue("_elements", out var e))
        {
            elements = e.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            if (summary != SummaryType.False)
                throw FhirException.BadRequest("_summary and _elements cannot be combined", "_elements");
            if (elements.Length == 0) throw FhirException.BadRequest("_elements needs at least one element name", "_elements");
        }
        return new ResponseShape(format, pretty, summary, elements);
    }

    private static FhirFormat FormatParameter(string value) => value switch
    {
        "json" or "application/json" or "application/fhir+json" or "application/json+fhir" => FhirFormat.Json,
        "xml" or "application/xml" or "text/xml" or "application/fhir+xml" or "application/xml+fhir" => FhirFormat.Xml,
        _ => throw FhirException.Of(406, OperationOutcome.IssueType.NotSupported, $"_format '{value}' is not supported: use json or xml", "_format"),
    };

    private static FhirFormat AcceptedFormat(HttpRequest request)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0) return FhirFormat.Json;
        if (accept.Count == 1)
            switch (accept[0])
            {
                case "application/fhir+json" or "application/json" or "*/*": return FhirFormat.Json;
                case "application/fhir+xml" or "application/xml": return FhirFormat.Xml;
            }
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var types) || types.Count == 0) return FhirFormat.Json;
        foreach (var t in types.OrderByDescending(t => t.Quality ?? 1.0))
        {
            if (t.Quality == 0) continue;
            var format = MediaTypeFormat(t);
            if (format is not null) return format.Value;
        }
        throw FhirException.Of(406, OperationOutcome.IssueType.NotSupported,
            $"None of the accepted media types ({request.Headers.Accept}) is served: use application/fhir+json or application/fhir+xml");
    }

    /// <summary>The format a media type names, or null; a fhirVersion other than 4.0 is not ours.</summary>
    internal static FhirFormat? MediaTypeFormat(MediaTypeHeaderValue t)
    {
        var version = t.Parameters.FirstOrDefault(p => p.Name.Equals("fhirVersion", StringComparison.OrdinalIgnoreCase))?.Value.Value;
        if (version is not null && !version.StartsWith("4.0", StringComparison.Ordinal)) return null;
        var mediaType = t.MediaType.Value?.ToLowerInvariant();
        return mediaType switch
        {
            "application/fhir+json" or "application/json" or "application/json+fhir" or "text/json" or "*/*" or "application/*" => FhirFormat.Json,
            "application/fhir+xml" or "application/xml" or "application/xml+fhir" or "text/xml" => FhirFormat.Xml,
            _ => null,
        };
    }

    /// <summary>The format of a request body from its Content-Type; 415 for anything else.</summary>
    public static FhirFormat RequestFormat(HttpRequest request)
    {
        var header = request.ContentType;
        if (string.IsNullOrEmpty(header))
            throw FhirException.Of(415, OperationOutcome.IssueType.NotSupported, "The request has a body but no Content-Type: use application/fhir+json or application/fhir+xml");
        if (!MediaTypeHeaderValue.TryParse(header, out var t) || t.MediaType.Value is "*/*" or "application/*" || MediaTypeFormat(t) is not { } format)
            throw FhirException.Of(415, OperationOutcome.IssueType.NotSupported,
                $"Content-Type '{header}' is not supported: use application/fhir+json or application/fhir+xml (FHIR 4.0)");
        return format;
    }
}
