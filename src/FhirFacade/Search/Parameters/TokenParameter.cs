using FhirCare.FhirFacade.Search.Expressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCare.FhirFacade.Search.Parameters;

/// <summary>Token search (search.html#token): code, system|code, |code, system|; :not, :text, :of-type.</summary>
public static class TokenParameter
{
    public static void Extract(string param, Base value, List<IndexValue> into)
    {
        switch (value)
        {
            case CodeableConcept cc:
                var text = Norm(cc.Text);
                foreach (var c in cc.Coding) into.Add(new TokenIndexValue(param, c.System, c.Code, Norm(c.Display) ?? text));
                if (cc.Coding.Count == 0 && text is not null) into.Add(new TokenIndexValue(param, null, null, text));
                break;
            case Coding c:
                into.Add(new TokenIndexValue(param, c.System, c.Code, Norm(c.Display)));
                break;
            case Identifier id:
                into.Add(new TokenIndexValue(param, id.System, id.Value, Norm(id.Type?.Text)));
                // :of-type matches on type-system|type-code|value; stored as an extra row under a derived key.
                foreach (var t in id.Type?.Coding ?? [])
                    into.Add(new TokenIndexValue(param + ":of-type", t.System + "|" + t.Code, id.Value, null));
                break;
            case ContactPoint cp:
                into.Add(new TokenIndexValue(param, cp.System?.GetLiteral(), cp.Value, null));
                break;
            case FhirBoolean b when b.Value is bool v:
                into.Add(new TokenIndexValue(param, null, v ? "true" : "false", null));
                break;
            case PrimitiveType p when p.JsonValue is not null:
                into.Add(new TokenIndexValue(param, SystemOf(p), p.ToString(), null));
                break;
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.PropertyInfo?> CodeSystemProperty = new();

    /// <summary>The system of a bound code (Code&lt;T&gt;.System), so that system|code matches enum-backed codes.</summary>
    private static string? SystemOf(PrimitiveType p)
    {
        var property = CodeSystemProperty.GetOrAdd(p.GetType(), t =>
            t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Code<>) ? t.GetProperty("System") : null);
        return property?.GetValue(p) as string;
    }

    private static string? Norm(string? s) => string.IsNullOrWhiteSpace(s) ? null : StringParameter.Normalize(s);

    public static SearchExpression Parse(string param, string? modifier, string value) => modifier switch
    {
        null => ParseCode(param, value),
        "not" => new Not(ParseCode(param, value)),
        "text" => new TokenTextCondition(param, StringParameter.Normalize(value)),
        "of-type" => ParseOfType(param, value),
        "in" => new ValueSetCondition(param, value),
        "not-in" => new Not(new ValueSetCondition(param, value)),
        _ => throw new SearchParseException($"The modifier ':{modifier}' is not supported on token parameters"),
    };

    private static TokenCondition ParseCode(string param, string value)
    {
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0) return new TokenCondition(param, null, Unescape(value));
        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        return new TokenCondition(param, system, code.Length == 0 ? null : code);
    }

    private static TokenCondition ParseOfType(string param, string value)
    {
        var parts = value.Split('|');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
            throw new SearchParseException(":of-type takes [type-system]|[type-code]|[identifier-value]");
        return new TokenCondition(param + ":of-type", parts[0] + "|" + parts[1], parts[2]);
    }

    private static int IndexOfUnescaped(string s, char c)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == c) return i;
        }
        return -1;
    }

    internal static string Unescape(string s) =>
        s.Contains('\\') ? s.Replace("\\|", "|").Replace("\\,", ",").Replace("\\$", "$").Replace("\\\\", "\\") : s;
}
