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
        VersionedWrites writes, ConditionalMatch conditional, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.RequireWritable(type);
        ResourceTypes.RequireId(id);
        ResponseShape.From(context.Request); // a refused Accept/_format must refuse before anything is written
        var resource = await body.ReadResourceAsync(context.Request, context.RequestAborted);
        RequireBodyId(resource, type, id);
        validator.Check(resource);
        await SaveAsync(context, store, writes, conditional, resource, id, WriteResults.IfMatch(context.Request), baseUrl.Of(context.Request));
    }

    public static async Task HandleConditionalAsync(HttpContext context, string type, IFhirStore store, ResourceBody body,
        VersionedWrites writes, ConditionalMatch conditional, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.RequireWritable(type);
        ResponseShape.From(context.Request);
        var resource = await body.ReadResourceAsync(context.Request, context.RequestAborted);
        Create.RequireType(resource, type);
        validator.Check(resource);
        var id = await ResolveConditionalAsync(new WriteScope(store, conditional), resource, context.Request.QueryString.Value ?? "", "url", context.RequestAborted);
        await SaveAsync(context, store, writes, conditional, resource, id, WriteResults.IfMatch(context.Request), baseUrl.Of(context.Request));
    }

    public static void RequireBodyId(Resource resource, string type, string id)
    {
        Create.RequireType(resource, type);
        if (resource.Id is null)
            throw FhirException.BadRequest($"The {type} in the body has no id; an update must carry the id of the URL ({id})", $"{type}.id", OperationOutcome.IssueType.Required);
        if (resource.Id != id)
            throw FhirException.BadRequest($"The id in the body ({resource.Id}) does not match the id in the URL ({id})", $"{type}.id");
    }

    /// <summary>The id a conditional update writes: the single match, else the body's id or a new one; 412 on several matches.</summary>
    public static async Task<string> ResolveConditionalAsync(WriteScope scope, Resource resource, string criteria, string source, CancellationToken ct)
    {
        var type = resource.TypeName;
        var matches = await scope.FindAsync(type, criteria, source, ct);
        switch (matches.Count)
        {
            case 0:
                return ResourceTypes.RequireId(resource.Id ?? Create.NewId());
            case 1:
                var id = matches[0].Id;
                if (resource.Id is not null && resource.Id != id)
                    throw FhirException.BadRequest($"The id in the body ({resource.Id}) differs from the matching resource {type}/{id}", $"{type}.id");
                return id;
            default:
                throw FhirException.MultipleMatches($"The criteria '{criteria}' match {matches.Count} {type} resources; a conditional update needs at most one");
        }
    }

    /// <summary>Adds the next version of <paramref name="resource"/> to the scope, checking If-Match against the current one.</summary>
    public static async Task<InteractionResult> WriteAsync(WriteScope scope, VersionedWrites writes, Resource resource, string id, int? ifMatch, CancellationToken ct)
    {
        var type = resource.TypeName;
        var current = await scope.ReadAsync(type, id, ct);
        var currentVersion = current?.Version ?? 0;
        if (ifMatch is { } expected && expected != currentVersion)
            throw WriteResults.VersionMismatch(type, id, expected, currentVersion);
        var created = current is null || current.Deleted;
        var (write, stored) = writes.NextVersion(resource, id, currentVersion, "PUT", created);
        scope.Add(write, stored);
        return new InteractionResult(created ? 201 : 200, stored);
    }

    /// <summary>Writes the next version, retrying a lost race unless the client pinned the version with If-Match.</summary>
    private static async Task SaveAsync(HttpContext context, IFhirStore store, VersionedWrites writes, ConditionalMatch conditional,
        Resource resource, string id, int? ifMatch, string baseUrl)
    {
        var ct = context.RequestAborted;
        for (int attempt = 0; ; attempt++)
        {
            var scope = new WriteScope(store, conditional, Audit.WriteProvenance.Of(context));
            var result = await WriteAsync(scope, writes, resource, id, ifMatch, ct);
            try
            {
                await scope.CommitAsync(ct);
                await WriteResults.WriteAsync(context, result.Resource!, result.Status, baseUrl);
                return;
            }
            catch (VersionConflictException) when (ifMatch is null && attempt < 3)
            {
                // someone else wrote in between: read again and retry
            }
            catch (VersionConflictException e)
            {
                throw ConflictOf(e, ifMatch, "updated");
            }
        }
    }

    /// <summary>A lost race: 412 when the client pinned the version, 409 otherwise.</summary>
    public static FhirException ConflictOf(VersionConflictException e, int? ifMatch, string doing) =>
        ifMatch is not null
            ? WriteResults.VersionMismatch(e.Type, e.Id, ifMatch.Value, e.Actual)
            : FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{e.Type}/{e.Id} changed while it was being {doing}; try again");
}
