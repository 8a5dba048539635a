using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Rest.Transactions;

/// <summary>
/// One entry of a batch or transaction Bundle, checked and taken apart (http.html#transaction): the method, the
/// URL's path segments and query, the resource, and the conditional headers carried in <c>entry.request</c>.
/// </summary>
public sealed record EntryRequest(
    int Index, Bundle.HTTPVerb Method, string Url, string[] Path, string Query, string? FullUrl, Resource? Resource,
    int? IfMatch, string? IfNoneExist, string? IfNoneMatch, DateTimeOffset? IfModifiedSince)
{
    /// <summary>FHIRPath of the entry, for OperationOutcomes.</summary>
    public string Location => $"Bundle.entry[{Index}]";

    public string Type => Path[0];

    /// <summary>The id in [type]/[id], or null for [type] and [type]?criteria.</summary>
    public string? Id => Path.Length > 1 ? Path[1] : null;

    public bool IsWrite => Method is not (Bundle.HTTPVerb.GET or Bundle.HTTPVerb.HEAD);

    /// <summary>The spec's processing order (http.html#trules): DELETE, POST, PUT and PATCH, then GET and HEAD.</summary>
    public int Rank => Method switch
    {
        Bundle.HTTPVerb.DELETE => 0,
        Bundle.HTTPVerb.POST => 1,
        Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH => 2,
        _ => 3,
    };

    public static EntryRequest Parse(Bundle.EntryComponent entry, int index, string baseUrl)
    {
        var at = $"Bundle.entry[{index}]";
        var request = entry.Request ?? throw FhirException.BadRequest("Every entry of a batch or transaction needs a request (method and url)", $"{at}.request", OperationOutcome.IssueType.Required);
        var method = request.Method ?? throw FhirException.BadRequest("The entry's request has no method", $"{at}.request.method", OperationOutcome.IssueType.Required);
        var url = request.Url;
        if (string.IsNullOrWhiteSpace(url)) throw FhirException.BadRequest("The entry's request has no url", $"{at}.request.url", OperationOutcome.IssueType.Required);
        if (url.StartsWith(baseUrl + "/", StringComparison.Ordinal)) url = url[(baseUrl.Length + 1)..];
        else if (Uri.TryCreate(url, UriKind.Absolute, out _))
            throw FhirException.BadRequest($"The url '{url}' is not on this server ({baseUrl}); use a URL relative to the base", $"{at}.request.url");
        url = url.TrimStart('/');
        var question = url.IndexOf('?');
        var path = (question < 0 ? url : url[..question]).Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var query = question < 0 ? "" : url[question..];

        var resource = entry.Resource;
        var parsed = new EntryRequest(index, method, url, path, query, entry.FullUrl, resource,
            ParseIfMatch(request.IfMatch, at), NullIfEmpty(request.IfNoneExist), NullIfEmpty(request.IfNoneMatch), request.IfModifiedSince);
        if (method is Bundle.HTTPVerb.GET or Bundle.HTTPVerb.HEAD) return parsed;

        // Writes: [type], [type]/[id] or [type]?criteria, with the resource their method needs.
        string Url(string what) => $"{method} takes {what}, not '{request.Url}'";
        if (path.Length == 0) throw FhirException.BadRequest(Url("a resource type"), $"{at}.request.url");
        if (!ResourceTypes.Served.Contains(path[0]))
            throw FhirException.BadRequest($"'{path[0]}' is not a resource type this server serves", $"{at}.request.url", OperationOutcome.IssueType.NotSupported);
        ResourceTypes.RequireWritable(path[0], $"{at}.request.url");
        var shapeOk = method switch
        {
            Bundle.HTTPVerb.POST => path.Length == 1 && query.Length == 0,
            Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE => (path.Length == 2 && query.Length == 0) || (path.Length == 1 && query.Length > 1),
            Bundle.HTTPVerb.PATCH => path.Length == 2 && query.Length == 0,
            _ => false,
        };
        if (!shapeOk)
            throw FhirException.BadRequest(Url(method switch
            {
                Bundle.HTTPVerb.POST => "[type]",
                Bundle.HTTPVerb.PATCH => "[type]/[id]",
                _ => "[type]/[id] or [type]?criteria",
            }), $"{at}.request.url");
        if (path.Length == 2) ResourceTypes.RequireId(path[1]);
        if (method == Bundle.HTTPVerb.DELETE) return parsed;

        if (resource is null) throw FhirException.BadRequest($"A {method} entry needs a resource", $"{at}.resource", OperationOutcome.IssueType.Required);
        if (method == Bundle.HTTPVerb.PATCH)
        {
            if (resource is not (Binary or Parameters))
                throw FhirException.BadRequest("A PATCH entry carries a Binary (JSON Patch) or a Parameters (FHIRPath Patch) resource", $"{at}.resource");
            return parsed;
        }
        if (resource.TypeName != path[0])
            throw FhirException.BadRequest($"The entry's resource is a {resource.TypeName} but its url is for {path[0]}", $"{at}.resource");
        if (method == Bundle.HTTPVerb.PUT && path.Length == 2)
        {
            if (resource.Id is null)
                throw FhirException.BadRequest($"The {path[0]} has no id; an update must carry the id of its url ({path[1]})", $"{at}.resource.id", OperationOutcome.IssueType.Required);
            if (resource.Id != path[1])
                throw FhirException.BadRequest($"The id in the resource ({resource.Id}) does not match the id in the url ({path[1]})", $"{at}.resource.id");
        }
        return parsed;
    }

    /// <summary>The criteria of a conditional update or delete, without the leading '?'.</summary>
    public string Criteria => Query.TrimStart('?');

    private static int? ParseIfMatch(string? value, string at) =>
        string.IsNullOrEmpty(value)
            ? null
            : Interactions.WriteResults.ParseETag(value) ?? throw FhirException.BadRequest($"ifMatch '{value}' is not a version ETag like W/\"3\"", $"{at}.request.ifMatch");

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
