using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>The response to create, update and patch: headers always, the body as the Prefer header asks.</summary>
public static class WriteResults
{
    public static Task WriteAsync(HttpContext context, StoredResource stored, int status, string baseUrl, string? message = null)
    {
        var response = context.Response;
        response.Headers.Location = $"{baseUrl}/{stored.Type}/{stored.Id}/_history/{stored.Version}";
        var prefer = Prefer.From(context.Request);
        switch (prefer.Return)
        {
            case ReturnPreference.Minimal:
                response.StatusCode = status;
                FhirResponses.SetVersionHeaders(response, stored);
                return Task.CompletedTask;
            case ReturnPreference.OperationOutcome:
                FhirResponses.SetVersionHeaders(response, stored);
                return FhirResponses.WriteOutcomeAsync(context,
                    Outcomes.Information(message ?? $"{stored.Type}/{stored.Id} is now at version {stored.Version}"), status);
            default:
                return FhirResponses.WriteStoredAsync(context, stored, status, ResponseShape.From(context.Request));
        }
    }

    /// <summary>Reads the If-Match header (W/"n"), or null if absent.</summary>
    public static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header)) return null;
        return ParseETag(header) ?? throw FhirException.BadRequest($"If-Match '{header}' is not a version ETag like W/\"3\"", "If-Match");
    }

    public static int? ParseETag(string header)
    {
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"');
        return int.TryParse(value, System.Globalization.NumberStyles.None, null, out var v) && v > 0 ? v : null;
    }

    public static FhirException VersionMismatch(string type, string id, int expected, int actual) =>
        FhirException.Of(412, OperationOutcome.IssueType.Conflict,
            actual == 0
                ? $"{type}/{id} does not exist, so it cannot be at version {expected}"
                : $"{type}/{id} is at version {actual}, not version {expected} as If-Match requires");
}
