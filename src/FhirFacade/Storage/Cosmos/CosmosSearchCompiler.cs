using System.Text;
using FhirCare.FhirFacade.Rest;
using FhirCare.FhirFacade.Search;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;

namespace FhirCare.FhirFacade.Storage.Cosmos;

/// <summary>A Cosmos SQL query with its parameters.</summary>
internal sealed record CosmosQuery(string Text, IReadOnlyList<(string Name, object Value)> Parameters)
{
    public QueryDefinition Definition()
    {
        var definition = new QueryDefinition(Text);
        foreach (var (name, value) in Parameters) definition.WithParameter(name, value);
        return definition;
    }
}

/// <summary>
/// Compiles a storage-neutral <see cref="SearchExpression"/> into a Cosmos SQL condition on the current document
/// <c>c</c>: each value condition is an EXISTS over the document's index array <c>c.ix</c>, with the range rules the
/// SQLite compiler uses. Cosmos SQL cannot join documents, so chains and _has first run their inner search as a query
/// of its own (<see cref="Lookup"/>) and then test the ids it found.
/// </summary>
internal sealed class CosmosSearchCompiler
{
    /// <summary>Runs a query whose rows are single strings (ids or references), returning at most <see cref="MaxLookup"/> + 1.</summary>
    public delegate Task<IReadOnlyList<string>> Lookup(CosmosQuery query, string? partition);

    /// <summary>How many resources a chain or _has may resolve to before the search is refused as too broad.</summary>
    public const int MaxLookup = 10_000;

    private readonly List<(string, object)> _parameters = [];
    private readonly Lookup _lookup;

    private CosmosSearchCompiler(Lookup lookup) => _lookup = lookup;

    /// <summary>The WHERE clause for current, non-deleted resources of the type (all types if null) matching the filter.</summary>
    public static async Task<CosmosQuery> WhereAsync(string? type, string? partition, SearchExpression? filter, Lookup lookup)
    {
        var c = new CosmosSearchCompiler(lookup);
        var where = new StringBuilder("c.k = 'c' AND c.del = false");
        if (partition is not null) where.Append($" AND c.pk = {c.Param(partition)}");
        if (type is not null) where.Append($" AND c.t = {c.Param(type)}");
        if (filter is not null) where.Append(" AND ").Append(await c.PredicateAsync(filter, type));
        return new CosmosQuery(where.ToString(), c._parameters);
    }

    private string Param(object value)
    {
        var name = "@p" + _parameters.Count;
        _parameters.Add((name, value));
        return name;
    }

    private async Task<string> PredicateAsync(SearchExpression e, string? type) => e switch
    {
        AllOf all => "(" + string.Join(" AND ", await AllAsync(all.Operands, type)) + ")",
        AnyOf any => "(" + string.Join(" OR ", await AllAsync(any.Operands, type)) + ")",
        Not not => $"NOT ({await PredicateAsync(not.Operand, type)})",
        IdCondition id => $"ARRAY_CONTAINS({Param(id.Ids.ToArray())}, c.rid)",
        TypeCondition t => $"c.t = {Param(t.Type)}",
        LastUpdatedCondition lu => Range("c.ts", "c.ts", lu.Comparator, lu.Start, lu.End),
        MissingCondition m => $"{(m.Missing ? "NOT " : "")}EXISTS (SELECT VALUE 1 FROM i IN c.ix WHERE i.p = {Param(m.Param)})",
        ChainCondition chain => await ChainAsync(chain),
        ReverseChainCondition has => await ReverseChainAsync(has, type),
        DateCondition { Comparator: Comparator.Ne } d => $"NOT ({await PredicateAsync(d with { Comparator = Comparator.Eq }, type)})",
        NumberCondition { Comparator: Comparator.Ne } n => $"NOT ({await PredicateAsync(n with { Comparator = Comparator.Eq }, type)})",
        _ => $"EXISTS (SELECT VALUE 1 FROM i IN c.ix WHERE {Entry(e)})",
    };

    private async Task<List<string>> AllAsync(IReadOnlyList<SearchExpression> operands, string? type)
    {
        var parts = new List<string>(operands.Count);
        foreach (var o in operands) parts.Add(await PredicateAsync(o, type));
        return parts;
    }

    /// <summary>The condition on one index entry <c>i</c> for one value condition.</summary>
    private string Entry(SearchExpression e) => e switch
    {
        StringCondition { Match: StringMatch.StartsWith } s => $"i.p = {Param(s.Param)} AND STARTSWITH(i.n, {Param(s.Value)})",
        StringCondition { Match: StringMatch.Exact } s => $"i.p = {Param(s.Param)} AND i.e = {Param(s.Value)}",
        StringCondition s => $"i.p = {Param(s.Param)} AND CONTAINS(i.n, {Param(s.Value)})",
        TokenCondition t => Token(t, "i.s", "i.c", $"i.p = {Param(t.Param)}"),
        TokenTextCondition t => $"i.p = {Param(t.Param)} AND CONTAINS(i.x, {Param(t.Value)})",
        ReferenceCondition { Url: { } url } r => $"i.p = {Param(r.Param)} AND i.u = {Param(url)}",
        ReferenceCondition r => $"i.p = {Param(r.Param)} AND i.ti = {Param(r.TargetId ?? "")}"
                                 + (r.TargetType is null ? "" : $" AND i.tt = {Param(r.TargetType)}"),
        DateCondition d => $"i.p = {Param(d.Param)} AND " + Range("i.a", "i.b", d.Comparator, d.Start, d.End),
        NumberCondition n => $"i.p = {Param(n.Param)} AND " + Number(n, "i.v", "i.lo", "i.hi", "i.s", "i.c"),
        CompositeCondition c => Composite(c),
        UriCondition { Match: UriMatch.Exact } u => $"i.p = {Param(u.Param)} AND i.u = {Param(u.Value)}",
        UriCondition { Match: UriMatch.Below } u =>
            $"i.p = {Param(u.Param)} AND (i.u = {Param(u.Value)} OR STARTSWITH(i.u, {Param(u.Value.TrimEnd('/') + "/")}))",
        UriCondition u => $"i.p = {Param(u.Param)} AND ({Param(u.Value)} = i.u OR STARTSWITH({Param(u.Value)}, CONCAT(i.u, '/')))",
        _ => throw new NotSupportedException($"Unsupported search condition {e.GetType().Name}"),
    };

    /// <summary>A token: a null system matches any, an empty one only "no system" (stored as "").</summary>
    private string Token(TokenCondition t, string system, string code, string head)
    {
        var sql = new StringBuilder(head);
        if (t.Code is not null) sql.Append($" AND {code} = {Param(t.Code)}");
        if (t.System is not null) sql.Append($" AND {system} = {Param(t.System)}");
        return sql.ToString();
    }

    private string Composite(CompositeCondition c)
    {
        var sql = new StringBuilder($"i.p = {Param(c.Param)}");
        if (c.FirstCode is not null) sql.Append($" AND i.fc = {Param(c.FirstCode)}");
        if (c.FirstSystem is not null) sql.Append($" AND i.fs = {Param(c.FirstSystem)}");
        sql.Append(" AND ").Append(c.Second switch
        {
            TokenCondition t => Token(t, "i.bs", "i.bc", "IS_DEFINED(i.bc)"),
            NumberCondition n => Number(n, "i.blo", "i.blo", "i.bhi", "i.bs", "i.bc"),
            DateCondition d => Range("i.ba", "i.bb", d.Comparator, d.Start, d.End),
            StringCondition s => $"STARTSWITH(i.bt, {Param(s.Value)})",
            _ => throw new NotSupportedException($"Unsupported composite component {c.Second.GetType().Name}"),
        });
        return sql.ToString();
    }

    private string Number(NumberCondition n, string value, string low, string high, string system, string code) =>
        RangePredicate.OfNumber(n, low, high, system, code, v => Param(v));

    private string Range(string start, string end, Comparator c, long ps, long pe) => RangePredicate.Of(start, end, c, ps, pe, t => Param(CosmosDocuments.Ticks(t)));

    /// <summary>Chaining: the ids of the matching targets, found first, then tested against the reference entries.</summary>
    private async Task<string> ChainAsync(ChainCondition chain)
    {
        var inner = await WhereAsync(chain.TargetType, null, chain.Target, _lookup);
        var ids = await LookupAsync(inner with { Text = $"SELECT VALUE c.rid FROM c WHERE {inner.Text}" }, chain.Param);
        return $"EXISTS (SELECT VALUE 1 FROM i IN c.ix WHERE i.p = {Param(chain.Param)} AND i.tt = {Param(chain.TargetType)} AND ARRAY_CONTAINS({Param(ids)}, i.ti))";
    }

    /// <summary>_has: the references the matching sources make through the parameter, found first, then tested against this resource.</summary>
    private async Task<string> ReverseChainAsync(ReverseChainCondition has, string? type)
    {
        var inner = await WhereAsync(has.SourceType, null, has.Source, _lookup);
        var p = "@p" + inner.Parameters.Count;
        var typeFilter = type is null ? "" : $" AND j.tt = {p}t";
        var parameters = inner.Parameters.Append((p, (object)has.Param)).ToList();
        if (type is not null) parameters.Add((p + "t", type));
        var references = await LookupAsync(new CosmosQuery(
            $"SELECT VALUE CONCAT(j.tt, '/', j.ti) FROM c JOIN j IN c.ix WHERE {inner.Text} AND j.p = {p}{typeFilter}", parameters), "_has:" + has.SourceType);
        return $"ARRAY_CONTAINS({Param(references)}, CONCAT(c.t, '/', c.rid))";
    }

    private async Task<string[]> LookupAsync(CosmosQuery query, string parameter)
    {
        var values = await _lookup(query, null);
        if (values.Count > MaxLookup)
            throw FhirException.Of(400, OperationOutcome.IssueType.TooCostly,
                $"'{parameter}' matches more than {MaxLookup} resources; the Cosmos DB store resolves chains and _has one query at a time, so narrow the inner search", parameter);
        return values.Distinct().ToArray();
    }
}
