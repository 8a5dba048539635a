using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>URI search (search.html#uri): exact by default, :below and :above on path segments.</summary>
public static class UriParameter
{
    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        if (value is PrimitiveType { JsonValue: string s } && s.Length > 0) into.Add(new UriIndexValue(param, s));
    }

    public static SearchExpression Parse(string param, string? modifier, string value) => modifier switch
    {
        null => new UriCondition(param, UriMatch.Exact, value),
        "below" => new UriCondition(param, UriMatch.Below, value),
        "above" => new UriCondition(param, UriMatch.Above, value),
        _ => throw new SearchParseException($"The modifier ':{modifier}' is not supported on uri parameters"),
    };
}
