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
        ResourceTypes.Require(type);
        ResponseShape.From(context.Request); // a refused Accept/_format must refuse before anything is written
        var ct = context.RequestAborted;
        var resource = await body.ReadResourceAsync(context.Request, ct);
        RequireType(resource, type);
        validator.Check(resource);

        var ifNoneExist = context.Request.Headers["If-None-Exist"].ToString();
        if (ifNoneExist.Length > 0)
        {
            var matches = await conditional.FindAsync(type, ifNoneExist, "If-None-Exist", ct);
            if (matches.Count > 1)
                throw FhirException.MultipleMatches($"If-None-Exist '{ifNoneExist}' matches {matches.Count} {type} resources; it must match at most one");
            if (matches.Count == 1)
            {
                await WriteResults.WriteAsync(context, matches[0], 200, baseUrl.Of(context.Request),
                    $"{type}/{matches[0].Id} already matches If-None-Exist; nothing was created");
                return;
            }
        }

        // The server assigns the id (http.html#create: any id in the body is ignored).
        var (write, stored) = writes.NextVersion(resource, Guid.CreateVersion7().ToString(), 0, "POST", created: true);
        await store.CommitAsync([write], ct);
        await WriteResults.WriteAsync(context, stored, 201, baseUrl.Of(context.Request));
    }

    public static void RequireType(Resource resource, string type)
    {
        if (resource.TypeName != type)
            throw FhirException.BadRequest($"The body is a {resource.TypeName} but the URL is for {type}", "resourceType");
    }
}
