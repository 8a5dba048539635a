using System.Text;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>search-type: GET [type]?… and POST [type]/_search (http.html#search, search.html).</summary>
public static class SearchInteraction
{
    public static async Task HandleAsync(HttpContext context, string type, IFhirStore store, SearchQueryParser parser, BaseUrl baseUrl)
    {
        ResourceTypes.Require(type);
        var request = context.Request;
        var shape = ResponseShape.From(request);
        var parameters = request.Query.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList();
        if (HttpMethods.IsPost(request.Method))
        {
            if (!request.HasFormContentType)
                throw FhirException.Of(415, OperationOutcome.IssueType.NotSupported, "POST _search takes application/x-www-form-urlencoded parameters");
            var form = await request.ReadFormAsync(context.RequestAborted);
            parameters.AddRange(form.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))));
        }

        ParsedSearch parsed;
        try
        {
            parsed = parser.Parse(type, parameters, Prefer.From(request).Strict);
        }
        catch (SearchParseException e)
        {
            throw FhirException.BadRequest(e.Message, e.Parameter, e is UnknownParameterException ? OperationOutcome.IssueType.NotSupported : OperationOutcome.IssueType.Invalid);
        }
        var query = parsed.Query;
        if (shape.Summary == SummaryType.Count) query = query with { Count = 0, Total = TotalMode.Accurate };
        SearchPage page;
        try
        {
            page = await store.SearchAsync(query, context.RequestAborted);
        }
        catch (InvalidCursorException e)
        {
            throw FhirException.BadRequest(e.Message, "_cursor");
        }

        var root = baseUrl.Of(request);
        var bundle = new BundleResponse(Bundle.BundleType.Searchset, root) { Total = page.Total };
        bundle.Links.Add(("self", Link(root, type, parsed.Used, query.Count, query.Cursor, query.Offset)));
        bundle.Links.Add(("first", Link(root, type, parsed.Used, query.Count, null, 0)));
        if (page.Previous is { } previous) bundle.Links.Add(("previous", Link(root, type, parsed.Used, query.Count, previous, 0)));
        if (page.Next is { } next) bundle.Links.Add(("next", Link(root, type, parsed.Used, query.Count, next, 0)));
        foreach (var match in page.Matches) bundle.Entries.Add(new BundleEntry(match, Bundle.SearchEntryMode.Match));
        foreach (var include in page.Included) bundle.Entries.Add(new BundleEntry(include, Bundle.SearchEntryMode.Include));
        if (parsed.Ignored.Count > 0)
            bundle.Outcome = new OperationOutcome
            {
                Issue = parsed.Ignored.Select(i => Outcomes.Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.NotSupported,
                    $"Parameter '{i.Parameter}' was ignored: {i.Reason}", i.Parameter)).ToList(),
            };
        await bundle.WriteAsync(context, shape);
    }

    /// <summary>
    /// A paging link: the parameters that were used (ignored ones left out), with _count, and the keyset _cursor of
    /// the page (links stay valid while resources are added or removed).
    /// </summary>
    private static string Link(string root, string type, IReadOnlyList<KeyValuePair<string, string>> used, int count, string? cursor, int offset)
    {
        var sb = new StringBuilder(root).Append('/').Append(type).Append('?');
        foreach (var (name, value) in used)
        {
            if (name is "_count" or "_offset" or "_getpagesoffset") continue;
            sb.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }
        sb.Append("_count=").Append(count);
        if (cursor is not null) sb.Append("&_cursor=").Append(cursor);
        else if (offset > 0) sb.Append("&_offset=").Append(offset);
        return sb.ToString();
    }
}
