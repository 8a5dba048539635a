using FhirCare.FhirFacade.Search.Expressions;

namespace FhirCare.FhirFacade.Search;

public enum TotalMode { None, Estimate, Accurate }

/// <summary>A sort key: a search parameter's index key (or "_id"/"_lastUpdated"), ascending or not.</summary>
public sealed record SortKey(string Param, IndexKind? Kind, bool Descending);

/// <summary>A parsed search, ready for a store: what to match, in which order, which page.</summary>
/// <param name="ResourceType">The type searched, or null for a system-level search (types then come as <see cref="TypeCondition"/>s).</param>
public sealed record SearchQuery(
    string? ResourceType,
    SearchExpression? Filter,
    IReadOnlyList<SortKey> Sort,
    int Count,
    int Offset,
    TotalMode Total)
{
    /// <summary>
    /// Where the page starts: an opaque cursor from a previous <c>SearchPage</c> (keyset paging, so pages stay stable
    /// while resources are added or removed), or null for the first page.
    /// </summary>
    public string? Cursor { get; init; }

    /// <summary>_include and _revinclude requests, applied to the page of matches.</summary>
    public IReadOnlyList<IncludeSpec> Includes { get; init; } = [];

    /// <summary>Adds a mandatory condition from outside the query string (compartments, authorization).</summary>
    public SearchQuery Restrict(SearchExpression condition) =>
        this with { Filter = Filter is null ? condition : new AllOf([Filter, condition]) };
}

/// <summary>
/// An _include (Reverse = false: follow <see cref="Param"/> from <see cref="SourceType"/> resources in the result to
/// their targets) or _revinclude (Reverse = true: add <see cref="SourceType"/> resources whose <see cref="Param"/>
/// points at a resource in the result). Param is an index key, or null for every reference parameter ("*").
/// </summary>
public sealed record IncludeSpec(bool Reverse, string SourceType, string? Param, string? TargetType, bool Iterate);

public class SearchParseException(string message, string? parameter = null) : Exception(message)
{
    public string? Parameter { get; } = parameter;
}
