using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>vread: GET [type]/[id]/_history/[vid] (http.html#vread).</summary>
public static class VRead
{
    public static async Task HandleAsync(HttpContext context, string type, string id, string vid, IFhirStore store)
    {
        ResourceTypes.Require(type);
        ResourceTypes.RequireId(id);
        if (!int.TryParse(vid, System.Globalization.NumberStyles.None, null, out var version) || version < 1)
            throw FhirException.BadRequest($"'{vid}' is not a version id (a positive whole number)", "vid");
        var shape = ResponseShape.From(context.Request);
        var stored = await store.ReadVersionAsync(type, id, version, context.RequestAborted) is { } found
                     && await AccessPolicy.Of(context).MayReadAsync(found, store, context.RequestAborted) ? found
            : throw FhirException.NotFound($"{type}/{id} has no version {version}");
        if (stored.Deleted) throw Read.Gone(stored);
        await FhirResponses.WriteStoredAsync(context, stored, 200, shape);
    }
}
