using System.Text;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// search (http.html#search, search.html): type level (GET [type]?…, POST [type]/_search), system level
/// (GET [base]?_type=…, POST [base]/_search) and compartment (GET Patient/[id]/[type]?…).
/// </summary>
public static class SearchInteraction
{
    public static async Task TypeAsync(HttpContext context, string type, IFhirStore store, SearchQueryParser parser, BaseUrl baseUrl)
    {
        ResourceTypes.Require(type);
        var parameters = await ParametersAsync(context.Request);
        var parsed = Parse(() => parser.Parse(type, parameters, Prefer.From(context.Request).Strict));
        await RunAsync(context, store, baseUrl, parsed, type);
    }

    public static async Task SystemAsync(HttpContext context, IFhirStore store, SearchQueryParser parser, BaseUrl baseUrl)
    {
        var parameters = await ParametersAsync(context.Request);
        var parsed = Parse(() => parser.ParseSystem(parameters, Prefer.From(context.Request).Strict));
        await RunAsync(context, store, baseUrl, parsed, "");
    }

    public static async Task CompartmentAsync(HttpContext context, string compartment, string id, string type,
        IFhirStore store, SearchQueryParser parser, Compartments compartments, BaseUrl baseUrl)
    {
        ResourceTypes.Require(compartment);
        ResourceTypes.RequireId(id);
        ResourceTypes.Require(type);
        if (!compartments.IsCompartment(compartment))
            throw FhirException.Of(404, OperationOutcome.IssueType.NotSupported, $"{compartment} is not a compartment this server knows (known: Patient)");
        var membership = compartments.Membership(compartment, id, type)
            ?? throw FhirException.BadRequest($"No {type} can be in a {compartment} compartment", "type");
        var parameters = await ParametersAsync(context.Request);
        var parsed = Parse(() => parser.Parse(type, parameters, Prefer.From(context.Request).Strict));
        parsed = parsed with { Query = parsed.Query.Restrict(membership) };
        await RunAsync(context, store, baseUrl, parsed, $"{compartment}/{id}/{type}");
    }

    private static async Task<List<KeyValuePair<string, string>>> ParametersAsync(HttpRequest request)
    {
        var parameters = request.Query.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))).ToList();
        if (!HttpMethods.IsPost(request.Method)) return parameters;
        if (!request.HasFormContentType)
            throw FhirException.Of(415, OperationOutcome.IssueType.NotSupported, "POST _search takes application/x-www-form-urlencoded parameters");
        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        parameters.AddRange(form.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))));
        return parameters;
    }

    private static ParsedSearch Parse(Func<ParsedSearch> parse)
    {
        try
        {
            return parse();
        }
        catch (SearchParseException e)
        {
            throw FhirException.BadRequest(e.Message, e.Parameter, e is UnknownParameterException ? OperationOutcome.IssueType.NotSupported : OperationOutcome.IssueType.Invalid);
        }
    }

    private static async Task RunAsync(HttpContext context, IFhirStore store, BaseUrl baseUrl, ParsedSearch parsed, string path)
    {
        var shape = ResponseShape.From(context.Request);
        var query = parsed.Query;
        try
        {
            query = query with { Filter = await context.RequestServices.GetRequiredService<ValueSetExpansion>().ResolveAsync(query.Filter, store, context.RequestAborted) };
        }
        catch (SearchParseException e)
        {
            throw FhirException.BadRequest(e.Message, e.Parameter, OperationOutcome.IssueType.NotSupported);
        }
        var policy = AccessPolicy.Of(context);
        query = policy.Restrict(query);
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

        var root = baseUrl.Of(context.Request);
        // When the first page holds every match the total costs nothing: give it even if not asked for (clients expect it).
        var complete = query.Cursor is null && query.Offset == 0 && page.Next is null && query.Count > 0;
        var bundle = new BundleResponse(Bundle.BundleType.Searchset, root) { Total = page.Total ?? (complete ? page.Matches.Count : null) };
        bundle.Links.Add(("self", Link(root, path, parsed.Used, query.Count, query.Cursor, query.Offset)));
        bundle.Links.Add(("first", Link(root, path, parsed.Used, query.Count, null, 0)));
        if (page.Previous is { } previous) bundle.Links.Add(("previous", Link(root, path, parsed.Used, query.Count, previous, 0)));
        if (page.Next is { } next) bundle.Links.Add(("next", Link(root, path, parsed.Used, query.Count, next, 0)));
        foreach (var match in page.Matches) bundle.Entries.Add(new BundleEntry(match, Bundle.SearchEntryMode.Match));
        foreach (var include in await policy.VisibleAsync(page.Included, store, context.RequestAborted)) bundle.Entries.Add(new BundleEntry(include, Bundle.SearchEntryMode.Include));
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
    private static string Link(string root, string path, IReadOnlyList<KeyValuePair<string, string>> used, int count, string? cursor, int offset)
    {
        var sb = new StringBuilder(root).Append('/').Append(path).Append('?');
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
