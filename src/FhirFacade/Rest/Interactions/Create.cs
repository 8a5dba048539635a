using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>create: POST [type] (http.html#create), with conditional create via If-None-Exist.</summary>
public static class Create
{
    public static async Task HandleAsync(HttpContext context, string type, IFhirStore store, ResourceBody body,
        VersionedWrites writes, ConditionalMatch conditional, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.RequireWritable(type);
        ResponseShape.From(context.Request); // a refused Accept/_format must refuse before anything is written
        var ct = context.RequestAborted;
        var resource = await body.ReadResourceAsync(context.Request, ct);
        RequireType(resource, type);
        validator.Check(resource);

        var scope = new WriteScope(store, conditional, Audit.WriteProvenance.Of(context));
        var existing = await MatchAsync(scope, type, context.Request.Headers["If-None-Exist"].ToString(), "If-None-Exist", ct);
        var result = existing is not null ? Found(existing) : Write(scope, writes, resource, NewId());
        await scope.CommitAsync(ct);
        await WriteResults.WriteAsync(context, result.Resource!, result.Status, baseUrl.Of(context.Request), result.Message);
    }

    /// <summary>A server-assigned id (http.html#create: any id in the body is ignored): time-ordered, so inserts stay local.</summary>
    public static string NewId() => Guid.CreateVersion7().ToString();

    /// <summary>The one resource matching If-None-Exist, or null when there are no criteria or no match; 412 on several.</summary>
    public static async Task<StoredResource?> MatchAsync(WriteScope scope, string type, string? ifNoneExist, string source, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(ifNoneExist)) return null;
        var matches = await scope.FindAsync(type, ifNoneExist, source, ct);
        if (matches.Count > 1)
            throw FhirException.MultipleMatches($"If-None-Exist '{ifNoneExist}' matches {matches.Count} {type} resources; it must match at most one");
        return matches.Count == 1 ? matches[0] : null;
    }

    public static InteractionResult Found(StoredResource existing) =>
        new(200, existing, $"{existing.Type}/{existing.Id} already matches If-None-Exist; nothing was created");

    public static InteractionResult Write(WriteScope scope, VersionedWrites writes, Resource resource, string id)
    {
        var (write, stored) = writes.NextVersion(resource, id, 0, "POST", created: true);
        scope.Add(write, stored);
        return new InteractionResult(201, stored);
    }

    public static void RequireType(Resource resource, string type)
    {
        if (resource.TypeName != type)
            throw FhirException.BadRequest($"The body is a {resource.TypeName} but the URL is for {type}", "resourceType");
    }
}
