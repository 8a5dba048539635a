using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// delete: DELETE [type]/[id] (http.html#delete) writes a tombstone version, so history keeps every version and a
/// later read answers 410; conditional delete DELETE [type]?criteria deletes a single match (412 on several).
/// </summary>
public static class Delete
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store, VersionedWrites writes, ConditionalMatch conditional)
    {
        ResourceTypes.RequireWritable(type);
        ResourceTypes.RequireId(id);
        var ifMatch = WriteResults.IfMatch(context.Request);
        var scope = new WriteScope(store, conditional, Audit.WriteProvenance.Of(context));
        var current = await ReadAsync(scope, type, id, ifMatch, context.RequestAborted);
        await CommitAsync(context, scope, current is null ? null : Tombstone(scope, writes, current));
    }

    public static async Task HandleConditionalAsync(HttpContext context, string type, IFhirStore store, VersionedWrites writes, ConditionalMatch conditional)
    {
        ResourceTypes.RequireWritable(type);
        var scope = new WriteScope(store, conditional, Audit.WriteProvenance.Of(context));
        var match = await MatchAsync(scope, type, context.Request.QueryString.Value ?? "", "url", context.RequestAborted);
        await CommitAsync(context, scope, match is null ? null : Tombstone(scope, writes, match));
    }

    /// <summary>The current version to delete (null: nothing to delete), checking If-Match.</summary>
    public static async Task<StoredResource?> ReadAsync(WriteScope scope, string type, string id, int? ifMatch, CancellationToken ct)
    {
        var current = await scope.ReadAsync(type, id, ct);
        if (ifMatch is { } expected && expected != (current?.Version ?? 0))
            throw WriteResults.VersionMismatch(type, id, expected, current?.Version ?? 0);
        return current;
    }

    /// <summary>The single match of conditional-delete criteria, or null; 412 on several.</summary>
    public static async Task<StoredResource?> MatchAsync(WriteScope scope, string type, string criteria, string source, CancellationToken ct)
    {
        var matches = await scope.FindAsync(type, criteria, source, ct);
        if (matches.Count > 1)
            throw FhirException.MultipleMatches($"The criteria '{criteria}' match {matches.Count} {type} resources; a conditional delete deletes at most one");
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>
    /// Adds a tombstone to the scope unless the resource is already deleted. Deleting what does not exist or is gone
    /// succeeds and changes nothing (http.html#delete).
    /// </summary>
    public static InteractionResult Tombstone(WriteScope scope, VersionedWrites writes, StoredResource current)
    {
        if (current.Deleted) return new InteractionResult(204, null);
        var tombstone = writes.Tombstone(current.Type, current.Id, current.Version);
        var stored = new StoredResource(tombstone.Type, tombstone.Id, tombstone.Version, tombstone.LastUpdated, true, ReadOnlyMemory<byte>.Empty);
        scope.Add(tombstone, stored);
        return new InteractionResult(204, stored);
    }

    private static async Task CommitAsync(HttpContext context, WriteScope scope, InteractionResult? result)
    {
        try
        {
            await scope.CommitAsync(context.RequestAborted);
        }
        catch (VersionConflictException e)
        {
            throw Update.ConflictOf(e, null, "deleted");
        }
        if (result?.Resource is { } tombstone) context.Response.Headers.ETag = tombstone.ETag;
        context.Response.StatusCode = 204;
    }
}
