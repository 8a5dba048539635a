using System.Globalization;
using System.Text;
using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>String search (search.html#string): case- and accent-insensitive starts-with by default, :exact, :contains.</summary>
public static class StringParameter
{
    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        switch (value)
        {
            case HumanName n:
                Add(param, n.Text, into); Add(param, n.Family, into);
                foreach (var g in n.Given) Add(param, g, into);
                foreach (var p in n.Prefix) Add(param, p, into);
                foreach (var s in n.Suffix) Add(param, s, into);
                break;
            case Address a:
                Add(param, a.Text, into);
                foreach (var l in a.Line) Add(param, l, into);
                Add(param, a.City, into); Add(param, a.District, into); Add(param, a.State, into);
                Add(param, a.PostalCode, into); Add(param, a.Country, into);
                break;
            case PrimitiveType p when p.JsonValue is string s:
                Add(param, s, into);
                break;
        }
    }

    public static SearchExpression Parse(string param, string? modifier, string value) => modifier switch
    {
        "exact" => new StringCondition(param, StringMatch.Exact, value),
        "contains" => new StringCondition(param, StringMatch.Contains, Normalize(value)),
        null => new StringCondition(param, StringMatch.StartsWith, Normalize(value)),
        _ => throw new SearchParseException($"The modifier ':{modifier}' does not apply to string parameters"),
    };

    private static void Add(string param, string? s, List<IndexValue> into)
    {
        if (string.IsNullOrWhiteSpace(s)) return;
        into.Add(new StringIndexValue(param, Normalize(s), s));
    }

    /// <summary>Lower case, accents removed, white space collapsed: what default and :contains matches compare.</summary>
    public static string Normalize(string s)
    {
        var decomposed = s.Trim().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        bool space = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (char.IsWhiteSpace(c)) { if (!space) sb.Append(' '); space = true; continue; }
            space = false;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
