using FhirCare.FhirFacade.Search.Expressions;
using FhirCare.FhirFacade.Storage;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Resolves token <c>:in</c>/<c>:not-in</c> against ValueSets stored on this server: each <see cref="ValueSetCondition"/>
/// becomes an OR of the ValueSet's codes (its expansion if it carries one, else its compose: listed concepts, whole
/// systems, included ValueSets, minus exclusions). Filters on code-system properties need a terminology server
/// and are refused.
/// </summary>
public sealed class ValueSetExpansion(SearchParameterRegistry registry)
{
    private const int MaxDepth = 5;

    public async Task<SearchExpression?> ResolveAsync(SearchExpression? e, IFhirStore store, CancellationToken ct) => e switch
    {
        null => null,
        ValueSetCondition v => await ExpandNamedAsync(v, store, ct),
        AllOf all => new AllOf(await ResolveAllAsync(all.Operands, store, ct)),
        AnyOf any => new AnyOf(await ResolveAllAsync(any.Operands, store, ct)),
        Not not => new Not((await ResolveAsync(not.Operand, store, ct))!),
        ChainCondition chain => chain with { Target = (await ResolveAsync(chain.Target, store, ct))! },
        ReverseChainCondition has => has with { Source = (await ResolveAsync(has.Source, store, ct))! },
        _ => e,
    };

    /// <summary>Expands one :in condition; problems name the parameter ("code:in").</summary>
    private async Task<SearchExpression> ExpandNamedAsync(ValueSetCondition v, IFhirStore store, CancellationToken ct)
    {
        try
        {
            return await ExpandAsync(v, store, 0, ct);
        }
        catch (SearchParseException e) when (e.Parameter is null)
        {
            throw new SearchParseException(e.Message, v.Param[(v.Param.IndexOf('.') + 1)..] + ":in");
        }
    }

    private async Task<List<SearchExpression>> ResolveAllAsync(IReadOnlyList<SearchExpression> operands, IFhirStore store, CancellationToken ct)
    {
        var resolved = new List<SearchExpression>(operands.Count);
        foreach (var o in operands) resolved.Add((await ResolveAsync(o, store, ct))!);
        return resolved;
    }

    private async Task<SearchExpression> ExpandAsync(ValueSetCondition v, IFhirStore store, int depth, CancellationToken ct)
    {
        var valueSet = await FindAsync(v.ValueSetUrl, store, ct);
        if (valueSet.Expansion?.Contains is { Count: > 0 } contains)
            return Or(contains.Select(c => (SearchExpression)new TokenCondition(v.Param, c.System, c.Code)).ToList());
        if (valueSet.Compose is null)
            throw new SearchParseException($"ValueSet {v.ValueSetUrl} has neither an expansion nor a compose");

        var included = new List<SearchExpression>();
        foreach (var include in valueSet.Compose.Include) included.Add(await PartAsync(v, include, store, depth, ct));
        SearchExpression result = Or(included);
        var excluded = new List<SearchExpression>();
        foreach (var exclude in valueSet.Compose.Exclude) excluded.Add(await PartAsync(v, exclude, store, depth, ct));
        return excluded.Count == 0 ? result : new AllOf([result, new Not(Or(excluded))]);
    }

    private async Task<SearchExpression> PartAsync(ValueSetCondition v, ValueSet.ConceptSetComponent part, IFhirStore store, int depth, CancellationToken ct)
    {
        if (part.Filter.Count > 0)
            throw new SearchParseException($"ValueSet {v.ValueSetUrl} selects codes by filter, which this server cannot expand without a terminology service");
        var conditions = new List<SearchExpression>();
        if (part.Concept.Count > 0) conditions.AddRange(part.Concept.Select(c => new TokenCondition(v.Param, part.System, c.Code)));
        else if (part.System is not null) conditions.Add(new TokenCondition(v.Param, part.System, null));
        if (part.ValueSet.Any() && depth >= MaxDepth)
            throw new SearchParseException($"ValueSet {v.ValueSetUrl} nests ValueSets more than {MaxDepth} deep");
        var nested = new List<SearchExpression>();
        foreach (var url in part.ValueSet) nested.Add(await ExpandAsync(v with { ValueSetUrl = url }, store, depth + 1, ct));
        // Concepts from a system AND in every listed ValueSet (ValueSet.compose.include semantics).
        var own = conditions.Count > 0 ? Or(conditions) : null;
        var all = (own is null ? nested : nested.Prepend(own)).ToList();
        return all.Count switch
        {
            0 => throw new SearchParseException($"ValueSet {v.ValueSetUrl} has an include with no system, concepts or ValueSets"),
            1 => all[0],
            _ => new AllOf(all),
        };
    }

    private async Task<ValueSet> FindAsync(string url, IFhirStore store, CancellationToken ct)
    {
        var urlParam = registry.Find("ValueSet", "url")!.IndexKey;
        var page = await store.SearchAsync(new SearchQuery("ValueSet", new UriCondition(urlParam, Expressions.UriMatch.Exact, url), [], 2, 0, TotalMode.None), ct);
        return page.Matches.Count switch
        {
            0 => throw new SearchParseException($"No ValueSet with url {url} is stored on this server"),
            1 => (ValueSet)Rest.FhirResponses.ParseStored(page.Matches[0]),
            _ => throw new SearchParseException($"More than one ValueSet has url {url}"),
        };
    }

    private static SearchExpression Or(List<SearchExpression> parts) => parts.Count == 1 ? parts[0] : new AnyOf(parts);
}
