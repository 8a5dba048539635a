using FhirCare.FhirFacade.Rest.Patching;
using FhirCare.FhirFacade.Storage;
using FhirCare.FhirFacade.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// patch: PATCH [type]/[id] (http.html#patch) with a JSON Patch (application/json-patch+json) or a FHIRPath Patch
/// (a Parameters resource in FHIR JSON or XML). The result must still be a valid resource of the same type and id.
/// </summary>
public static class Patch
{
    public static async Task HandleAsync(HttpContext context, string type, string id, IFhirStore store, ResourceBody body,
        VersionedWrites writes, BaseUrl baseUrl, ResourceValidator validator)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        var request = context.Request;
        var ct = context.RequestAborted;
        var ifMatch = WriteResults.IfMatch(request);
        ResponseShape.From(request); // a refused Accept/_format must refuse before anything is written
        var isJsonPatch = request.ContentType?.StartsWith("application/json-patch+json", StringComparison.OrdinalIgnoreCase) == true;
        var format = isJsonPatch ? FhirFormat.Json : ResponseShape.RequestFormat(request);
        var patch = await body.ReadBytesAsync(request, ct);
        Parameters? parameters = null;
        if (!isJsonPatch)
            parameters = ResourceBody.Parse(patch, format) as Parameters
                ?? throw FhirException.BadRequest("A FHIRPath Patch body must be a Parameters resource", "resourceType");

        var current = await store.ReadAsync(type, id, ct) ?? throw FhirException.NotFound($"{type}/{id} is not known");
        if (current.Deleted) throw Read.Gone(current);
        if (ifMatch is { } expected && expected != current.Version) throw WriteResults.VersionMismatch(type, id, expected, current.Version);

        Resource patched;
        if (isJsonPatch) patched = Reparse(JsonPatch.Apply(current.Json, patch));
        else
        {
            patched = FhirResponses.ParseStored(current);
            FhirPathPatch.Apply(patched, parameters!);
            patched = Reparse(FhirJson.ToBytes(patched));
        }
        if (patched.TypeName != type || patched.Id != id)
            throw FhirException.Of(422, OperationOutcome.IssueType.Processing, "A patch may not change the resource's type or id");
        validator.Check(patched, patched: true);

        var (write, stored) = writes.NextVersion(patched, id, current.Version, "PATCH", created: false);
        try
        {
            await store.CommitAsync([write], ct);
        }
        catch (VersionConflictException e)
        {
            throw ifMatch is not null
                ? WriteResults.VersionMismatch(type, id, ifMatch.Value, e.Actual)
                : FhirException.Of(409, OperationOutcome.IssueType.Conflict, $"{type}/{id} changed while it was being patched; try again");
        }
        await WriteResults.WriteAsync(context, stored, 200, baseUrl.Of(request));
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
