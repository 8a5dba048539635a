using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Security;
using FhirCare.FhirFacade.Storage;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCare.FhirFacade.Rest.Interactions;

/// <summary>
/// Resolves the criteria of conditional create/update/delete and of conditional references. Criteria are parsed
/// strictly: an unknown parameter is a 400, never silently dropped (dropping it would widen the match).
/// </summary>
public sealed class ConditionalMatch(SearchQueryParser parser, ValueSetExpansion valueSets, IFhirStore store, IHttpContextAccessor http)
{
    /// <summary>The current request's access policy: criteria match only what it may see, writes stay within it.</summary>
    public AccessPolicy Policy => http.HttpContext is { } context ? AccessPolicy.Of(context) : AccessPolicy.Open;

    public async Task<IReadOnlyList<StoredResource>> FindAsync(string type, string criteria, string source, CancellationToken ct) =>
        await FindAsync(await ParseAsync(type, criteria, source, ct), 2, ct);

    /// <summary>Up to <paramref name="limit"/> stored matches of a parsed criteria query.</summary>
    public async Task<IReadOnlyList<StoredResource>> FindAsync(SearchQuery query, int limit, CancellationToken ct) =>
        (await store.SearchAsync(Policy.Restrict(query) with { Count = limit, Offset = 0, Sort = [], Total = TotalMode.None, Includes = [] }, ct)).Matches;

    public async Task<SearchQuery> ParseAsync(string type, string criteria, string source, CancellationToken ct)
    {
        var query = criteria;
        var question = query.IndexOf('?');
        if (question >= 0) query = query[(question + 1)..];
        var parameters = QueryHelpers.ParseQuery(query)
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? "")))
            .Where(kv => kv.Key is not ("_format" or "_pretty" or "_summary" or "_elements"))
            .ToList();
        if (parameters.Count == 0)
            throw FhirException.BadRequest($"The {source} criteria are empty: a conditional interaction needs search parameters", source);
        try
        {
            var parsed = parser.Parse(type, parameters, strict: true);
            return parsed.Query with { Filter = await valueSets.ResolveAsync(parsed.Query.Filter, store, ct) };
        }
        catch (SearchParseException e)
        {
            throw FhirException.BadRequest($"{source}: {e.Message}", e.Parameter ?? source);
        }
    }
}
