using FhirCare.FhirFacade.Rest.Patching;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// patch: PATCH [type]/[id] (http.html#patch) with a JSON Patch (application/json-patch+json) or a FHIRPath Patch
/// (a Parameters resource in FHIR JSON or XML). The result must still be a valid resource of the same type and id.
/// </summary>
public static class Patch
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store, ResourceBody body,
        VersionedWrites writes, ConditionalMatch conditional, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.RequireWritable(type);
        ResourceTypes.RequireId(id);
        var request = context.Request;
        var ct = context.RequestAborted;
        var ifMatch = WriteResults.IfMatch(request);
        ResponseShape.From(request); // a refused Accept/_format must refuse before anything is written
        var isJsonPatch = request.ContentType?.StartsWith("application/json-patch+json", StringComparison.OrdinalIgnoreCase) == true;
        var format = isJsonPatch ? FhirFormat.Json : ResponseShape.RequestFormat(request);
        var bytes = await body.ReadBytesAsync(request, ct);
        var patch = isJsonPatch ? PatchDocument.Json(bytes) : PatchDocument.FhirPath(ResourceBody.Parse(bytes, format));

        var scope = new WriteScope(store, conditional, Audit.WriteProvenance.Of(context));
        var result = await ApplyAsync(scope, writes, type, id, patch, ifMatch, ct, r => validator.Check(r, patched: true));
        try
        {
            await scope.CommitAsync(ct);
        }
        catch (VersionConflictException e)
        {
            throw Update.ConflictOf(e, ifMatch, "patched");
        }
        await WriteResults.WriteAsync(context, result.Resource!, 200, baseUrl.Of(request));
    }

    /// <summary>Patches the current version of [type]/[id] as the scope sees it and adds the result to the scope.</summary>
    public static async Task<InteractionResult> ApplyAsync(WriteScope scope, VersionedWrites writes, string type, string id,
        PatchDocument patch, int? ifMatch, CancellationToken ct, Action<Resource>? validate = null)
    {
        var current = await scope.ReadAsync(type, id, ct) ?? throw FhirException.NotFound($"{type}/{id} is not known");
        if (current.Deleted) throw Read.Gone(current);
        if (ifMatch is { } expected && expected != current.Version) throw WriteResults.VersionMismatch(type, id, expected, current.Version);

        Resource patched;
        if (patch.JsonPatch is { } json) patched = Reparse(JsonPatch.Apply(current.Json, json));
        else
        {
            patched = FhirResponses.ParseStored(current);
            FhirPathPatch.Apply(patched, patch.Parameters!);
            patched = Reparse(FhirJson.ToBytes(patched));
        }
        if (patched.TypeName != type || patched.Id != id)
            throw FhirException.Of(422, OperationOutcome.IssueType.Processing, "A patch may not change the resource's type or id");
        validate?.Invoke(patched);

        var (write, stored) = writes.NextVersion(patched, id, current.Version, "PATCH", created: false);
        scope.Add(write, stored);
        return new InteractionResult(200, stored);
    }

    /// <summary>Parses the patched JSON with the same rules as any incoming resource; problems make the patch unprocessable.</summary>
    private static Resource Reparse(byte[] json)
    {
        try
        {
            return ResourceBody.Parse(json, FhirFormat.Json);
        }
        catch (FhirException e)
        {
            foreach (var issue in e.Outcome.Issue) issue.Diagnostics = "After the patch: " + issue.Diagnostics;
            throw new FhirException(422, e.Outcome);
        }
    }
}

/// <summary>A patch: a JSON Patch document (bytes) or a FHIRPath Patch (a Parameters resource).</summary>
public sealed record PatchDocument(byte[]? JsonPatch, Parameters? Parameters)
{
    public static PatchDocument Json(byte[] document) => new(document, null);

    public static PatchDocument FhirPath(Resource resource) =>
        new(null, resource as Parameters ?? throw FhirException.BadRequest("A FHIRPath Patch body must be a Parameters resource", "resourceType"));
}
