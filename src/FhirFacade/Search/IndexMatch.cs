using FhirCare.FhirFacade.Search.Expressions;

namespace FhirCare.FhirFacade.Search;

/// <summary>
/// Evaluates a condition against the index values of one resource that is not stored yet: the entries of a
/// transaction Bundle, which conditional criteria must see as well as the store (http.html#trules). Covers the
/// conditions criteria are made of in practice (identifiers, codes, strings, uris, references, ids); anything
/// else is reported as unsupported rather than guessed.
/// </summary>
public static class IndexMatch
{
    public static bool Matches(SearchExpression? e, string id, IReadOnlyList<IndexValue> index) => e switch
    {
        null => true,
        AllOf all => all.Operands.All(o => Matches(o, id, index)),
        AnyOf any => any.Operands.Any(o => Matches(o, id, index)),
        Not not => !Matches(not.Operand, id, index),
        IdCondition ids => ids.Ids.Contains(id),
        TokenCondition t => index.OfType<TokenIndexValue>().Any(v => v.Param == t.Param
            && (t.System is null || (t.System.Length == 0 ? string.IsNullOrEmpty(v.System) : v.System == t.System))
            && (t.Code is null || v.Code == t.Code)),
        StringCondition s => index.OfType<StringIndexValue>().Any(v => v.Param == s.Param && s.Match switch
        {
            StringMatch.Exact => v.Exact == s.Value,
            StringMatch.Contains => v.Normalized.Contains(s.Value, StringComparison.Ordinal),
            _ => v.Normalized.StartsWith(s.Value, StringComparison.Ordinal),
        }),
        UriCondition { Match: UriMatch.Exact } u => index.OfType<UriIndexValue>().Any(v => v.Param == u.Param && v.Value == u.Value),
        ReferenceCondition r => index.OfType<ReferenceIndexValue>().Any(v => v.Param == r.Param
            && (r.Url is not null ? v.Url == r.Url : v.TargetId == r.TargetId && (r.TargetType is null || v.TargetType == r.TargetType))),
        _ => throw new NotSupportedException($"{e.GetType().Name.Replace("Condition", "")} criteria"),
    };
}
