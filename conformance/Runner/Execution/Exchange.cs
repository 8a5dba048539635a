using System.Net.Http.Headers;
using Hl7.Fhir.Model;

namespace FhirCare.Conformance.Execution;

/// <summary>One HTTP request and its response, kept as the asserts and variables see them.</summary>
public sealed record Exchange(
    string Method,
    Uri Url,
    IReadOnlyDictionary<string, string> RequestHeaders,
    Resource? RequestResource,
    int Status,
    IReadOnlyDictionary<string, string> ResponseHeaders,
    string ResponseBody,
    Resource? ResponseResource)
{
    public string? ResponseHeader(string name) => ResponseHeaders.TryGetValue(name, out var v) ? v : null;
    public string? RequestHeader(string name) => RequestHeaders.TryGetValue(name, out var v) ? v : null;

    internal static Dictionary<string, string> Headers(params HttpHeaders?[] sets)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var set in sets)
            if (set is not null)
                foreach (var (name, values) in set) headers[name] = string.Join(", ", values);
        return headers;
    }
}
