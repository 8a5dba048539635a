using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCare.Conformance.Generation;

/// <summary>
/// A search value a fixture really has (the search must find the fixture) and one it does not have (the search must
/// not), derived from an element the parameter's expression selects (search.html, per parameter type).
/// </summary>
public sealed record SearchProbe(string Matching, string NotMatching)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static SearchProbe? For(SearchParamType type, Base node) => type switch
    {
        SearchParamType.String => String(node),
        SearchParamType.Token => Token(node),
        SearchParamType.Reference => Reference(node),
        SearchParamType.Date => Date(node),
        SearchParamType.Number => Number(node),
        SearchParamType.Quantity => Quantity(node),
        SearchParamType.Uri => node is PrimitiveType { } u && u.ToString() is { Length: > 0 } uri && !uri.StartsWith('#') ? new(Escape(uri), "urn:fhircare:conformance:no-such-uri") : null,
        _ => null,
    };

    /// <summary>search.html#escaping: "\", ",", "$" and "|" inside a value are escaped.</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("$", "\\$").Replace("|", "\\|");

    private static SearchProbe? String(Base node)
    {
        var text = node switch
        {
            HumanName n => n.Family ?? n.Given.FirstOrDefault() ?? n.Text,
            Address a => a.Line.FirstOrDefault() ?? a.City ?? a.District ?? a.State ?? a.PostalCode ?? a.Country ?? a.Text,
            PrimitiveType p => p.ToString(),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(text)) return null;
        // String search matches from the start, ignoring case and accents: a leading part is a real match and keeps URLs short.
        var prefix = text.Length > 40 ? text[..40].TrimEnd() : text;
        return new(Escape(prefix), "zqxj" + Escape(prefix));
    }

    private static SearchProbe? Token(Base node)
    {
        static SearchProbe? SystemCode(string? system, string? code) =>
            code is not { Length: > 0 } ? null
            : system is { Length: > 0 } ? new($"{Escape(system)}|{Escape(code)}", $"{Escape(system)}|no-such-code-zqxj")
            : new(Escape(code), "no-such-code-zqxj");
        return node switch
        {
            Coding c => SystemCode(c.System, c.Code),
            CodeableConcept cc => cc.Coding.Where(c => c.Code is { Length: > 0 }).Select(c => SystemCode(c.System, c.Code)).FirstOrDefault(),
            Identifier i => SystemCode(i.System, i.Value),
            ContactPoint cp => SystemCode(null, cp.Value),
            FhirBoolean b when b.Value is { } v => new(v ? "true" : "false", v ? "false" : "true"),
            PrimitiveType p when p.ToString() is { Length: > 0 } code => SystemCode(null, code),
            _ => null,
        };
    }

    private static SearchProbe? Reference(Base node)
    {
        var reference = node switch
        {
            ResourceReference r => r.Reference,
            Canonical c => c.Value,
            FhirUri u => u.Value,
            _ => null,
        };
        if (reference is not { Length: > 0 } || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal)) return null;
        var slash = reference.IndexOf('/');
        var notMatching = slash > 0 && !reference.Contains("://") ? reference[..slash] + "/no-such-id-zqxj" : "https://fhircare.org/fhir/no-such-resource-zqxj";
        return new(Escape(reference), notMatching);
    }

    private static SearchProbe? Date(Base node)
    {
        // Equality with the value's own precision finds it; nothing in the fixtures is before the year 1000.
        const string Before = "lt1000-01-01";
        return node switch
        {
            Period { Start: { Length: > 0 } start } => new("ge" + start, Before),
            Period { End: { Length: > 0 } end } => new("le" + end, "gt9000-01-01"),
            Timing t when t.EventElement.FirstOrDefault()?.Value is { Length: > 0 } first => new(first, Before),
            Hl7.Fhir.Model.Date or FhirDateTime or Instant when (node as PrimitiveType)!.ToString() is { Length: > 0 } value => new(value, Before),
            _ => null,
        };
    }

    private static SearchProbe? Number(Base node) => node switch
    {
        FhirDecimal { Value: { } d } => new(d.ToString(Invariant), (d + 1000).ToString(Invariant)),
        Integer { Value: { } i } => new(i.ToString(Invariant), (i + 1000).ToString(Invariant)),
        PositiveInt { Value: { } i } => new(i.ToString(Invariant), (i + 1000).ToString(Invariant)),
        UnsignedInt { Value: { } i } => new(i.ToString(Invariant), (i + 1000).ToString(Invariant)),
        _ => null,
    };

    private static SearchProbe? Quantity(Base node)
    {
        if (node is Money { Value: { } money }) return new(money.ToString(Invariant), (money + 1000).ToString(Invariant));
        if (node is not Hl7.Fhir.Model.Quantity { Value: { } value } q) return null;
        var suffix = q.System is { Length: > 0 } system && q.Code is { Length: > 0 } code ? $"|{Escape(system)}|{Escape(code)}"
            : q.Code is { Length: > 0 } c ? $"||{Escape(c)}"
            : q.Unit is { Length: > 0 } unit ? $"||{Escape(unit)}"
            : "";
        return new(value.ToString(Invariant) + suffix, (value + 1000).ToString(Invariant) + suffix);
    }

    /// <summary>A composite value: the first component is a token, the second any of the simple types (search.html#composite).</summary>
    public static SearchProbe? Composite(SearchProbe first, SearchProbe second) =>
        new($"{first.Matching}${second.Matching}", $"{first.Matching}${second.NotMatching}");

    public static string Literal(SearchParamType type) => type.GetLiteral()!;
}
