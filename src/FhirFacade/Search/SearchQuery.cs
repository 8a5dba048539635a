using FhirCare.FhirFacade.Search.Expressions;

namespace FhirCare.FhirFacade.Search;

public enum TotalMode { None, Estimate, Accurate }

/// <summary>A sort key: a search parameter's index key (or "_id"/"_lastUpdated"), ascending or not.</summary>
public sealed record SortKey(string Param, IndexKind? Kind, bool Descending);

/// <summary>A parsed search, ready for a store: what to match, in which order, which page.</summary>
public sealed record SearchQuery(
    string ResourceType,
    SearchExpression? Filter,
    IReadOnlyList<SortKey> Sort,
    int Count,
    int Offset,
    TotalMode Total)
{
    /// <summary>Adds a mandatory condition from outside the query string (compartments, authorization).</summary>
    public SearchQuery Restrict(SearchExpression condition) =>
        this with { Filter = Filter is null ? condition : new AllOf([Filter, condition]) };
}

public class SearchParseException(string message, string? parameter = null) : Exception(message)
{
    public string? Parameter { get; } = parameter;
}
