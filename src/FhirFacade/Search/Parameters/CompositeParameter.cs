using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>
/// Composite search (search.html#composite): "token$value", both parts matched on the same node, e.g.
/// Observation?code-value-quantity=http://loinc.org|8480-6$gt140.
/// </summary>
public static class CompositeParameter
{
    /// <summary>Through the FHIRPath engine, for components that are not plain paths.</summary>
    public static void Extract(SearchParameterDefinition p, PocoNode node, FhirEvaluationContext context, List<IndexValue> into) =>
        Combine(p, p.Components[0].Compiled(node, context).Select(n => n.Poco), p.Components[1].Compiled(node, context).Select(n => n.Poco), into);

    /// <summary>Through the components' POCO paths.</summary>
    public static void Extract(SearchParameterDefinition p, Base node, List<IndexValue> into)
    {
        var first = new List<Base>();
        foreach (var path in p.Components[0].Paths!) path.Evaluate(node, first);
        if (first.Count == 0) return;
        var second = new List<Base>();
        foreach (var path in p.Components[1].Paths!) path.Evaluate(node, second);
        Combine(p, first, second, into);
    }

    private static void Combine(SearchParameterDefinition p, IEnumerable<Base> firstNodes, IEnumerable<Base> secondNodes, List<IndexValue> into)
    {
        var firsts = new List<IndexValue>();
        foreach (var n in firstNodes) TokenParameter.Extract("", n, firsts);
        if (firsts.Count == 0) return;
        var seconds = new List<IndexValue>();
        foreach (var n in secondNodes)
        {
            switch (p.Components[1].Type)
            {
                case SearchParamType.Token: TokenParameter.Extract("", n, seconds); break;
                case SearchParamType.Quantity: NumberParameter.Extract("", n, seconds); break;
                case SearchParamType.Date: DateParameter.Extract("", n, seconds); break;
                case SearchParamType.String: StringParameter.Extract("", n, seconds); break;
            }
        }
        foreach (var first in firsts.OfType<TokenIndexValue>())
            foreach (var second in seconds)
                into.Add(new CompositeIndexValue(p.IndexKey, first.System, first.Code, second));
    }

    public static SearchExpression Parse(SearchParameterDefinition p, string? modifier, string value)
    {
        if (modifier is not null) throw new SearchParseException($"The modifier ':{modifier}' is not supported on composite parameters");
        var dollar = value.IndexOf('$');
        if (dollar < 0) throw new SearchParseException($"'{value}' is not a composite value: use [token]$[value]");
        var first = TokenParameter.Parse("", null, value[..dollar]) as TokenCondition
            ?? throw new SearchParseException($"'{value[..dollar]}' is not a token");
        var rest = value[(dollar + 1)..];
        var second = p.Components[1].Type switch
        {
            SearchParamType.Token => TokenParameter.Parse("", null, rest),
            SearchParamType.Quantity => NumberParameter.Parse("", null, rest, quantity: true),
            SearchParamType.Date => DateParameter.Parse("", null, rest),
            _ => StringParameter.Parse("", null, rest),
        };
        return new CompositeCondition(p.IndexKey, first.System, first.Code, second);
    }
}
