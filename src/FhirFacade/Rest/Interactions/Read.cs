using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>read: GET [type]/[id] (http.html#read), with If-None-Match and If-Modified-Since (304).</summary>
public static class Read
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        var shape = ResponseShape.From(context.Request);
        var stored = await AccessPolicy.Of(context).ReadAsync(store, type, id, context.RequestAborted)
            ?? throw FhirException.NotFound($"{type}/{id} is not known");
        if (stored.Deleted) throw Gone(stored);
        if (NotModified(context.Request, stored))
        {
            context.Response.StatusCode = 304;
            FhirResponses.SetVersionHeaders(context.Response, stored);
            return;
        }
        await FhirResponses.WriteStoredAsync(context, stored, 200, shape);
    }

    public static FhirException Gone(StoredResource stored) =>
        FhirException.Of(410, OperationOutcome.IssueType.Deleted, $"{stored.Type}/{stored.Id} was deleted (version {stored.Version})");

    private static bool NotModified(HttpRequest request, StoredResource stored)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
        if (ifNoneMatch.Length > 0)
            return ifNoneMatch.Split(',').Any(tag => tag.Trim() == "*" || WriteResults.ParseETag(tag) == stored.Version);
        var ifModifiedSince = request.Headers.IfModifiedSince.ToString();
        return ifModifiedSince.Length > 0
               && DateTimeOffset.TryParse(ifModifiedSince, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since)
               && stored.LastUpdated < since.AddSeconds(1); // HTTP dates have whole seconds
    }
}
