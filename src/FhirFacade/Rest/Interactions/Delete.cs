using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// delete: DELETE [type]/[id] (http.html#delete) writes a tombstone version, so history keeps every version and a
/// later read answers 410; conditional delete DELETE [type]?criteria deletes a single match (412 on several).
/// </summary>
public static class Delete
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store, VersionedWrites writes)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        var ifMatch = WriteResults.IfMatch(context.Request);
        var current = await store.ReadAsync(type, id, context.RequestAborted);
        if (ifMatch is { } expected && expected != (current?.Version ?? 0))
            throw WriteResults.VersionMismatch(type, id, expected, current?.Version ?? 0);
        if (current is null)
        {
            // http.html#delete: deleting what does not exist succeeds, and changes nothing.
            context.Response.StatusCode = 204;
            return;
        }
        await DeleteAsync(context, store, writes, current);
    }

    public static async Task HandleConditionalAsync(HttpContext context, string type, IFhirStore store, VersionedWrites writes, ConditionalMatch conditional)
    {
        ResourceTypes.Require(type);
        var criteria = context.Request.QueryString.Value ?? "";
        var matches = await conditional.FindAsync(type, criteria, "url", context.RequestAborted);
        if (matches.Count > 1)
            throw FhirException.MultipleMatches($"The criteria '{criteria}' match {matches.Count} {type} resources; a conditional delete deletes at most one");
        if (matches.Count == 0)
        {
            context.Response.StatusCode = 204;
            return;
        }
        await DeleteAsync(context, store, writes, matches[0]);
    }

    private static async Task DeleteAsync(HttpContext context, IFhirStore store, VersionedWrites writes, StoredResource current)
    {
        if (!current.Deleted)
        {
            var tombstone = writes.Tombstone(current.Type, current.Id, current.Version);
            try
            {
                await store.CommitAsync([tombstone], context.RequestAborted);
            }
            catch (VersionConflictException)
            {
                throw FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{current.Type}/{current.Id} changed while it was being deleted; try again");
            }
            context.Response.Headers.ETag = $"W/\"{tombstone.Version}\"";
        }
        context.Response.StatusCode = 204;
    }
}
