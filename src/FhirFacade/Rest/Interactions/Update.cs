using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// update: PUT [type]/[id] (http.html#update), also update-as-create with a client id, If-Match; and conditional
/// update PUT [type]?criteria (http.html#cond-update).
/// </summary>
public static class Update
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store, ResourceBody body,
        VersionedWrites writes, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        ResponseShape.From(context.Request); // a refused Accept/_format must refuse before anything is written
        var resource = await body.ReadResourceAsync(context.Request, context.RequestAborted);
        Create.RequireType(resource, type);
        if (resource.Id is null)
            throw FhirException.BadRequest($"The {type} in the body has no id; an update must carry the id of the URL ({id})", $"{type}.id", OperationOutcome.IssueType.Required);
        if (resource.Id != id)
            throw FhirException.BadRequest($"The id in the body ({resource.Id}) does not match the id in the URL ({id})", $"{type}.id");
        validator.Check(resource);
        await SaveAsync(context, store, writes, resource, id, WriteResults.IfMatch(context.Request), baseUrl.Of(context.Request));
    }

    public static async Task HandleConditionalAsync(HttpContext context, string type, IFhirStore store, ResourceBody body,
        VersionedWrites writes, ConditionalMatch conditional, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.Require(type);
        var criteria = context.Request.QueryString.Value ?? "";
        ResponseShape.From(context.Request);
        var resource = await body.ReadResourceAsync(context.Request, context.RequestAborted);
        Create.RequireType(resource, type);
        validator.Check(resource);
        var matches = await conditional.FindAsync(type, criteria, "url", context.RequestAborted);
        string id;
        switch (matches.Count)
        {
            case 0:
                id = resource.Id ?? Guid.CreateVersion7().ToString();
                ResourceTypes.RequireId(id);
                break;
            case 1:
                id = matches[0].Id;
                if (resource.Id is not null && resource.Id != id)
                    throw FhirException.BadRequest($"The id in the body ({resource.Id}) differs from the matching resource {type}/{id}", $"{type}.id");
                break;
            default:
                throw FhirException.MultipleMatches($"The criteria '{criteria}' match {matches.Count} {type} resources; a conditional update needs at most one");
        }
        await SaveAsync(context, store, writes, resource, id, WriteResults.IfMatch(context.Request), baseUrl.Of(context.Request));
    }

    /// <summary>Writes the next version, retrying a lost race unless the client pinned the version with If-Match.</summary>
    private static async Task SaveAsync(HttpContext context, IFhirStore store, VersionedWrites writes, Resource resource,
        string id, int? ifMatch, string baseUrl)
    {
        var type = resource.TypeName;
        for (int attempt = 0; ; attempt++)
        {
            var current = await store.ReadAsync(type, id, context.RequestAborted);
            var currentVersion = current?.Version ?? 0;
            if (ifMatch is { } expected && expected != currentVersion)
                throw WriteResults.VersionMismatch(type, id, expected, currentVersion);
            var created = current is null || current.Deleted;
            var (write, stored) = writes.NextVersion(resource, id, currentVersion, "PUT", created);
            try
            {
                await store.CommitAsync([write], context.RequestAborted);
                await WriteResults.WriteAsync(context, stored, created ? 201 : 200, baseUrl);
                return;
            }
            catch (VersionConflictException e) when (ifMatch is null && attempt < 3)
            {
                _ = e; // someone else wrote in between: read again and retry
            }
            catch (VersionConflictException e)
            {
                throw ifMatch is not null
                    ? WriteResults.VersionMismatch(type, id, ifMatch.Value, e.Actual)
                    : FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} kept changing while it was being updated; try again");
            }
        }
    }
}
